// Which Highway target (instruction set) the kernels dispatch to right now.
#pragma once

namespace simdnet::kernels {

// E.g. "AVX3" (AVX-512), "AVX2", "SSE4", "SCALAR". Tables and reports record it.
const char* active_target_name();

}  // namespace simdnet::kernels
