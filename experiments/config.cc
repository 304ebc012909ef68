// Experiment configs: TOML (toml++, Debian libtomlplusplus-dev) into a flat map
// of fields, then into one RunSettings per grid point, every value checked.
#include "simdnet/experiments/config.h"

#include <toml++/toml.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "simdnet/nets/checkpoint.h"
#include "simdnet/nets/update_rule.h"

namespace simdnet::experiments {
namespace {

enum class Kind { kBool, kInt, kReal, kText, kIntList, kIntOrFull };

struct FieldDef {
  const char* name;
  Kind kind;
  FieldValue default_value;
};

const std::vector<FieldDef>& field_defs() {
  static const std::vector<FieldDef> defs = {
      {"data.dataset", Kind::kText, std::string("mnist")},
      {"data.train_subset", Kind::kInt, int64_t{0}},
      {"data.val_size", Kind::kInt, int64_t{-1}},
      {"data.standardize", Kind::kBool, false},
      {"data.pixel_scale", Kind::kReal, 1.0},
      {"net.hidden", Kind::kIntList, std::vector<int64_t>{100}},
      {"net.batchnorm", Kind::kBool, false},
      {"net.dropout", Kind::kReal, 0.0},
      {"net.init", Kind::kText, std::string("he")},
      {"net.weight_scale", Kind::kReal, 1e-2},
      {"net.l2", Kind::kReal, 0.0},
      {"solver.update", Kind::kText, std::string("sgd")},
      {"solver.learning_rate", Kind::kReal, 1e-2},
      {"solver.lr_scaling", Kind::kText, std::string("held")},
      {"solver.lr_reference_batch", Kind::kInt, int64_t{128}},
      {"solver.momentum", Kind::kReal, 0.9},
      {"solver.decay_rate", Kind::kReal, 0.99},
      {"solver.beta1", Kind::kReal, 0.9},
      {"solver.beta2", Kind::kReal, 0.999},
      {"solver.epsilon", Kind::kReal, 1e-8},
      {"solver.lr_decay", Kind::kReal, 1.0},
      {"solver.batch_size", Kind::kIntOrFull, int64_t{100}},
      {"solver.budget", Kind::kText, std::string("epochs")},
      {"solver.epochs", Kind::kInt, int64_t{10}},
      {"solver.updates", Kind::kInt, int64_t{1000}},
      {"solver.sample_with_replacement", Kind::kBool, false},
      {"solver.train_acc_samples", Kind::kInt, int64_t{1000}},
      {"run.seeds", Kind::kIntList, std::vector<int64_t>{1, 2, 3}},
      {"run.target_accuracy", Kind::kReal, 0.9},
      {"run.test_every", Kind::kInt, int64_t{1}},
  };
  return defs;
}

const FieldDef* find_field(std::string_view name) {
  for (const FieldDef& d : field_defs())
    if (name == d.name) return &d;
  return nullptr;
}

std::string field_list() {
  std::string s;
  for (const FieldDef& d : field_defs()) s += std::string(s.empty() ? "" : ", ") + d.name;
  return s;
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kBool: return "true or false";
    case Kind::kInt: return "an integer";
    case Kind::kReal: return "a number";
    case Kind::kText: return "a string";
    case Kind::kIntList: return "a list of integers";
    case Kind::kIntOrFull: return "an integer or \"full\"";
  }
  return "?";
}

std::string where(const toml::node& node) {
  const auto& begin = node.source().begin;
  return begin.line ? "line " + std::to_string(begin.line) : std::string("?");
}

// A TOML node as the field's kind, or a ConfigError naming it.
FieldValue convert(const toml::node& node, const FieldDef& def, const std::string& context) {
  auto wrong = [&] {
    return ConfigError(context + " (" + where(node) + "): expected " + kind_name(def.kind));
  };
  switch (def.kind) {
    case Kind::kBool:
      if (auto v = node.value_exact<bool>()) return *v;
      throw wrong();
    case Kind::kInt:
      if (auto v = node.value_exact<int64_t>()) return *v;
      throw wrong();
    case Kind::kReal:  // an integer is a fine number: learning_rate = 1
      if (auto v = node.value_exact<double>()) return *v;
      if (auto v = node.value_exact<int64_t>()) return static_cast<double>(*v);
      throw wrong();
    case Kind::kText:
      if (auto v = node.value_exact<std::string>()) return *v;
      throw wrong();
    case Kind::kIntOrFull:
      if (auto v = node.value_exact<int64_t>()) return *v;
      if (auto v = node.value_exact<std::string>(); v && *v == "full") return *v;
      throw wrong();
    case Kind::kIntList: {
      const toml::array* array = node.as_array();
      if (!array) throw wrong();
      std::vector<int64_t> list;
      for (const toml::node& item : *array) {
        auto v = item.value_exact<int64_t>();
        if (!v) throw wrong();
        list.push_back(*v);
      }
      return list;
    }
  }
  throw wrong();
}

// The sections' fields of `table` (data, net, solver, run) into `fields`.
// Unknown sections and keys are errors: a typo must not fall back silently.
void read_sections(const toml::table& table, const std::string& prefix, const std::string& source,
                   const std::set<std::string>& other_keys, Fields& fields) {
  static const std::set<std::string> sections = {"data", "net", "solver", "run"};
  for (auto&& [key, node] : table) {
    const std::string k(key.str());
    if (other_keys.count(k)) continue;
    if (!sections.count(k))
      throw ConfigError(source + ": unknown key '" + prefix + k + "' (" + where(node) +
                        "); expected one of the sections data, net, solver, run" +
                        (other_keys.empty() ? std::string() : " or a key of " + [&] {
                          std::string s;
                          for (const auto& o : other_keys) s += (s.empty() ? "" : ", ") + o;
                          return s;
                        }()));
    const toml::table* section = node.as_table();
    if (!section) throw ConfigError(source + ": '" + prefix + k + "' must be a table ([" + k + "])");
    for (auto&& [field_key, value] : *section) {
      const std::string name = k + "." + std::string(field_key.str());
      const FieldDef* def = find_field(name);
      if (!def)
        throw ConfigError(source + ": unknown field '" + prefix + name + "' (" + where(value) +
                          "); known fields: " + field_list());
      fields[name] = convert(value, *def, source + ": " + prefix + name);
    }
  }
}

std::string real_text(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

template <class T>
const T& get(const Fields& fields, const std::string& name) {
  return std::get<T>(fields.at(name));
}

// The checks and conversions of one grid point's fields into RunSettings.
// `context` prefixes every message ("file.toml, grid point batch_size=0").
RunSettings build_settings(const Fields& f, const std::string& context) {
  auto fail = [&](const std::string& name, const std::string& expected) {
    return ConfigError(context + ": " + name + " = " + value_text(f.at(name)) + ": expected " +
                       expected);
  };
  auto real = [&](const std::string& name, bool ok_if(double), const char* expected) {
    const double v = get<double>(f, name);
    if (!std::isfinite(v) || !ok_if(v)) throw fail(name, expected);
    return v;
  };
  auto count = [&](const std::string& name, int64_t min, const char* expected) {
    const int64_t v = get<int64_t>(f, name);
    if (v < min) throw fail(name, expected);
    return v;
  };
  RunSettings s;
  s.dataset = get<std::string>(f, "data.dataset");
  bool known = false;
  for (const auto& n : nets::dataset_names()) known |= n == s.dataset;
  if (!known) throw fail("data.dataset", "mnist, fashion-mnist or cifar10");
  s.data.train_subset = static_cast<size_t>(count("data.train_subset", 0, "an integer >= 0"));
  if (const int64_t v = count("data.val_size", -1, "-1 (the default) or an integer >= 0"); v >= 0)
    s.data.val_size = static_cast<size_t>(v);
  s.data.standardize = get<bool>(f, "data.standardize");
  s.data.pixel_scale = static_cast<float>(
      real("data.pixel_scale", [](double v) { return v > 0; }, "a number > 0 (255: CS231n's scale)"));

  for (int64_t width : get<std::vector<int64_t>>(f, "net.hidden"))
    if (width < 1 || width > (int64_t{1} << 20))
      throw fail("net.hidden", "one to 255 layer widths, each in [1, 1048576]");
  for (int64_t width : get<std::vector<int64_t>>(f, "net.hidden"))
    s.net.hidden_dims.push_back(static_cast<size_t>(width));
  if (s.net.hidden_dims.empty() || s.net.hidden_dims.size() > 255)
    throw fail("net.hidden", "one to 255 layer widths, each in [1, 1048576]");
  s.net.batchnorm = get<bool>(f, "net.batchnorm");
  s.net.dropout = static_cast<float>(
      real("net.dropout", [](double v) { return v >= 0 && v < 1; }, "a drop probability in [0, 1)"));
  const auto init = nets::parse_init(get<std::string>(f, "net.init"));
  if (!init) throw fail("net.init", "he, xavier or weight_scale");
  s.net.init = *init;
  s.net.weight_scale = static_cast<float>(
      real("net.weight_scale", [](double v) { return v > 0; }, "a number > 0"));
  s.net.l2 = static_cast<float>(real("net.l2", [](double v) { return v >= 0; }, "a number >= 0"));

  const auto rule = nets::parse_update_rule(get<std::string>(f, "solver.update"));
  if (!rule) throw fail("solver.update", "sgd, sgd_momentum, nesterov, rmsprop or adam");
  nets::UpdateConfig& u = s.solver.update;
  u.rule = *rule;
  auto positive = [](double v) { return v > 0; };
  auto unit = [](double v) { return v >= 0 && v < 1; };
  u.learning_rate = static_cast<float>(real("solver.learning_rate", positive, "a number > 0"));
  const std::string& scaling = get<std::string>(f, "solver.lr_scaling");
  if (scaling != "held" && scaling != "linear") throw fail("solver.lr_scaling", "held or linear");
  s.linear_lr_scaling = scaling == "linear";
  s.lr_reference_batch =
      static_cast<size_t>(count("solver.lr_reference_batch", 1, "an integer >= 1"));
  u.momentum = static_cast<float>(real("solver.momentum", unit, "a number in [0, 1)"));
  u.decay_rate = static_cast<float>(real("solver.decay_rate", unit, "a number in [0, 1)"));
  u.beta1 = static_cast<float>(real("solver.beta1", unit, "a number in [0, 1)"));
  u.beta2 = static_cast<float>(real("solver.beta2", unit, "a number in [0, 1)"));
  u.epsilon = static_cast<float>(real("solver.epsilon", positive, "a number > 0"));
  s.solver.lr_decay = static_cast<float>(
      real("solver.lr_decay", [](double v) { return v > 0 && v <= 1; }, "a number in (0, 1]"));
  const FieldValue& batch = f.at("solver.batch_size");
  if (std::holds_alternative<std::string>(batch)) {
    s.full_batch = true;
  } else {
    s.solver.batch_size =
        static_cast<size_t>(count("solver.batch_size", 1, "an integer >= 1 or \"full\""));
  }
  const std::string& budget = get<std::string>(f, "solver.budget");
  if (budget != "epochs" && budget != "updates") throw fail("solver.budget", "epochs or updates");
  s.budget_in_updates = budget == "updates";
  s.solver.num_epochs =
      static_cast<size_t>(count("solver.epochs", 1, "an integer >= 1 (at most 100000)"));
  if (s.solver.num_epochs > 100000) throw fail("solver.epochs", "an integer in [1, 100000]");
  s.updates = static_cast<size_t>(count("solver.updates", 1, "an integer >= 1"));
  s.solver.sample_with_replacement = get<bool>(f, "solver.sample_with_replacement");
  s.solver.num_train_samples =
      static_cast<size_t>(count("solver.train_acc_samples", 0, "an integer >= 0 (0: all)"));
  s.test_every = static_cast<size_t>(count("run.test_every", 1, "an integer >= 1 (epochs)"));
  s.target_accuracy = real(
      "run.target_accuracy", [](double v) { return v > 0 && v <= 1; }, "an accuracy in (0, 1]");
  try {
    nets::check_update_config(u);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(context + ": " + e.what());
  }
  return s;
}

std::vector<uint64_t> checked_seeds(const Fields& f, const std::string& source) {
  const auto& list = get<std::vector<int64_t>>(f, "run.seeds");
  std::set<int64_t> distinct(list.begin(), list.end());
  if (list.size() < 3 || distinct.size() != list.size() || *distinct.begin() < 0)
    throw ConfigError(source + ": run.seeds = " + value_text(list) +
                      ": expected at least 3 distinct seeds, each >= 0 (mean ± std needs them)");
  return {list.begin(), list.end()};
}

// [[axis]] tables (and [quick]'s axis_values) into Axis.
std::vector<Axis> read_axes(const toml::table& root, const std::string& source) {
  std::vector<Axis> axes;
  const toml::node* node = root.get("axis");
  if (!node)
    throw ConfigError(source + ": no [[axis]]: expected one or two, each with a field and values");
  const toml::array* array = node->as_array();
  if (!array || !array->is_array_of_tables())
    throw ConfigError(source + ": 'axis' must be written as [[axis]] tables");
  if (array->empty() || array->size() > 2)
    throw ConfigError(source + ": " + std::to_string(array->size()) +
                      " [[axis]] tables: expected one or two");
  for (const toml::node& item : *array) {
    const toml::table& t = *item.as_table();
    const std::string context = source + ": axis " + std::to_string(axes.size() + 1);
    for (auto&& [key, value] : t)
      if (key.str() != "field" && key.str() != "values" && key.str() != "with")
        throw ConfigError(context + ": unknown key '" + std::string(key.str()) + "' (" +
                          where(value) + "); expected field, values and (optionally) with");
    const auto field = t["field"].value_exact<std::string>();
    if (!field) throw ConfigError(context + ": expected field = \"section.key\"");
    const FieldDef* def = find_field(*field);
    if (!def || field->rfind("run.", 0) == 0)  // run.*: not per grid point
      throw ConfigError(context + ": field = \"" + *field +
                        "\": expected a data, net or solver field: " + field_list());
    for (const Axis& other : axes)
      if (other.field == *field) throw ConfigError(context + ": field " + *field + " twice");
    const toml::array* values = t["values"].as_array();
    if (!values || values->empty())
      throw ConfigError(context + " (" + *field + "): expected values = [a non-empty list]");
    Axis axis{*field, {}, {}};
    for (const toml::node& v : *values)
      axis.values.push_back(convert(v, *def, context + " (" + *field + ") value " +
                                                 std::to_string(axis.values.size() + 1)));
    for (size_t i = 0; i < axis.values.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (value_text(axis.values[i]) == value_text(axis.values[j]))
          throw ConfigError(context + " (" + *field + "): value " +
                            value_text(axis.values[i]) + " twice");
    if (const toml::node* with = t.get("with")) {
      const toml::table* linked = with->as_table();
      if (!linked)
        throw ConfigError(context + ": with (" + where(*with) +
                          "): expected a table { \"section.key\" = [one value per axis value] }");
      for (auto&& [key, list] : *linked) {
        const std::string name(key.str());
        const FieldDef* linked_def = find_field(name);
        if (!linked_def || name == *field || name.rfind("run.", 0) == 0)
          throw ConfigError(context + ": with: '" + name +
                            "': expected a data, net or solver field other than the axis's own");
        const toml::array* values = list.as_array();
        if (!values || values->size() != axis.values.size())
          throw ConfigError(context + ": with." + name + " (" + where(list) + "): expected " +
                            std::to_string(axis.values.size()) + " values, one per axis value");
        std::vector<FieldValue> converted;
        for (const toml::node& v : *values)
          converted.push_back(convert(v, *linked_def, context + ": with." + name));
        axis.with.emplace_back(name, std::move(converted));
      }
    }
    axes.push_back(std::move(axis));
  }
  return axes;
}

}  // namespace

std::string value_text(const FieldValue& value) {
  struct Visitor {
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return real_text(v); }
    std::string operator()(const std::string& v) const { return v; }
    std::string operator()(const std::vector<int64_t>& v) const {
      std::string s;
      for (int64_t x : v) s += (s.empty() ? "" : "-") + std::to_string(x);
      return s.empty() ? "[]" : s;
    }
  };
  return std::visit(Visitor{}, value);
}

void resolve_for_data(RunSettings& s, size_t train_size) {
  if (s.full_batch) s.solver.batch_size = train_size;
  if (s.linear_lr_scaling)
    s.solver.update.learning_rate = static_cast<float>(
        static_cast<double>(s.solver.update.learning_rate) *
        static_cast<double>(s.solver.batch_size) / static_cast<double>(s.lr_reference_batch));
  if (s.budget_in_updates) {
    const size_t b = s.solver.batch_size;
    const size_t per_epoch = s.solver.sample_with_replacement ? std::max<size_t>(train_size / b, 1)
                                                              : (train_size + b - 1) / b;
    s.solver.num_epochs =
        std::max<size_t>(1, (s.updates + per_epoch / 2) / per_epoch);  // round to nearest
  }
}

ExperimentConfig parse_experiment_config(std::string_view text, const std::string& source,
                                         Profile profile) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ConfigError(source + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                      ": not valid TOML: " + std::string(e.description()));
  }
  ExperimentConfig config;
  config.source = source;
  for (const FieldDef& d : field_defs()) config.fields[d.name] = d.default_value;
  for (const char* key : {"title", "description"}) {
    if (const toml::node* n = root.get(key)) {
      auto v = n->value_exact<std::string>();
      if (!v) throw ConfigError(source + ": " + key + " (" + where(*n) + "): expected a string");
      (std::string(key) == "title" ? config.title : config.description) = *v;
    }
  }
  read_sections(root, "", source, {"title", "description", "axis", "quick"}, config.fields);
  config.axes = read_axes(root, source);

  if (const toml::node* quick = root.get("quick")) {
    const toml::table* q = quick->as_table();
    if (!q) throw ConfigError(source + ": 'quick' must be a table ([quick])");
    if (profile == Profile::kQuick) {
      read_sections(*q, "quick.", source, {"axis_values"}, config.fields);
    } else {  // still checked, so a broken quick profile fails in either profile
      Fields scratch = config.fields;
      read_sections(*q, "quick.", source, {"axis_values"}, scratch);
    }
    if (const toml::node* av = q->get("axis_values")) {
      const toml::array* lists = av->as_array();
      if (!lists || lists->size() != config.axes.size())
        throw ConfigError(source + ": quick.axis_values (" + where(*av) + "): expected " +
                          std::to_string(config.axes.size()) + " list(s), one per axis");
      for (size_t i = 0; i < config.axes.size(); ++i) {
        const toml::array* list = (*lists)[i].as_array();
        const std::string context = source + ": quick.axis_values[" + std::to_string(i + 1) + "]";
        if (!list || list->empty()) throw ConfigError(context + ": expected a non-empty list");
        // A subset of the axis's values; linked fields keep their pairing.
        Axis subset{config.axes[i].field, {}, {}};
        for (const auto& linked : config.axes[i].with) subset.with.emplace_back(linked.first, std::vector<FieldValue>{});
        for (const toml::node& v : *list) {
          const FieldValue value =
              convert(v, *find_field(subset.field), context + " (" + subset.field + ")");
          size_t k = 0;
          while (k < config.axes[i].values.size() &&
                 value_text(config.axes[i].values[k]) != value_text(value))
            ++k;
          if (k == config.axes[i].values.size())
            throw ConfigError(context + ": " + value_text(value) + " is not one of axis " +
                              std::to_string(i + 1) + "'s values");
          subset.values.push_back(value);
          for (size_t w = 0; w < subset.with.size(); ++w)
            subset.with[w].second.push_back(config.axes[i].with[w].second[k]);
        }
        if (profile == Profile::kQuick) config.axes[i] = std::move(subset);
      }
    }
  }
  config.seeds = checked_seeds(config.fields, source);
  // Every grid point is built below: bound the work before doing it.
  constexpr size_t kMaxRuns = 100000;
  size_t runs = config.seeds.size();
  for (const Axis& axis : config.axes) runs *= axis.values.size();  // each <= the file's size
  if (runs > kMaxRuns)
    throw ConfigError(source + ": " + std::to_string(runs) +
                      " runs (grid points x seeds): expected at most " + std::to_string(kMaxRuns));
  // Build every grid point now: a bad value fails before any training.
  for (const GridPoint& point : grid_points(config)) settings_for(config, point);
  return config;
}

ExperimentConfig read_experiment_config(const std::string& path, Profile profile) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open the experiment config");
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) throw ConfigError(path + ": cannot read the experiment config");
  return parse_experiment_config(text.str(), path, profile);
}

std::string GridPoint::label(const std::vector<Axis>& axes) const {
  std::string s;
  for (size_t i = 0; i < axes.size(); ++i) {
    const std::string& field = axes[i].field;
    s += (i ? " " : "") + field.substr(field.find('.') + 1) + "=" + value_text(values[i]);
  }
  return s;
}

std::vector<GridPoint> grid_points(const ExperimentConfig& config) {
  std::vector<GridPoint> points{GridPoint{}};
  for (const Axis& axis : config.axes) {
    std::vector<GridPoint> next;
    for (const GridPoint& p : points)
      for (const FieldValue& v : axis.values) {
        GridPoint q = p;
        q.values.push_back(v);
        next.push_back(std::move(q));
      }
    points = std::move(next);
  }
  return points;
}

RunSettings settings_for(const ExperimentConfig& config, const GridPoint& point) {
  Fields fields = config.fields;
  for (size_t i = 0; i < config.axes.size(); ++i) {
    const Axis& axis = config.axes[i];
    fields[axis.field] = point.values[i];
    size_t k = 0;  // the value's index on its axis, for the linked fields
    while (value_text(axis.values[k]) != value_text(point.values[i])) ++k;
    for (const auto& [name, values] : axis.with) fields[name] = values[k];
  }
  return build_settings(fields, config.source + ", grid point " + point.label(config.axes));
}

std::string resolved_text(const ExperimentConfig& config) {
  std::string s;
  for (const auto& [name, value] : config.fields) {
    bool on_axis = false;
    for (const Axis& a : config.axes) {
      on_axis |= a.field == name;
      for (const auto& linked : a.with) on_axis |= linked.first == name;
    }
    if (!on_axis) s += name + " = " + value_text(value) + "\n";
  }
  for (const Axis& a : config.axes) {
    s += "axis " + a.field + " =";
    for (const FieldValue& v : a.values) s += " " + value_text(v);
    s += "\n";
    for (const auto& [name, values] : a.with) {
      s += "with " + name + " =";
      for (const FieldValue& v : values) s += " " + value_text(v);
      s += "\n";
    }
  }
  return s;
}

}  // namespace simdnet::experiments
