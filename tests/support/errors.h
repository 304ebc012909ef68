// The message of the exception a call throws, for tests that check what an
// error says (the kernel, file, argument or value it names).
#pragma once

#include <cxxabi.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeinfo>

namespace simdnet::test {

// "std::invalid_argument" for std::invalid_argument: the type's readable name.
template <class T>
std::string type_name() {
  int status = 0;
  const std::unique_ptr<char, decltype(&std::free)> name(
      abi::__cxa_demangle(typeid(T).name(), nullptr, nullptr, &status), &std::free);
  return status == 0 && name ? name.get() : typeid(T).name();
}

// The what() of the `Exception` that `f` throws; when it throws none, a test
// failure ("no std::runtime_error was thrown") and "". Other exceptions pass
// through.
template <class Exception = std::runtime_error>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Exception& e) {
    return e.what();
  }
  ADD_FAILURE() << "no " << type_name<Exception>() << " was thrown";
  return "";
}

}  // namespace simdnet::test
