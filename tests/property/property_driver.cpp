// Executes one random program written by property_test.py (the model lives
// there) through the public API only, then renders the registry in both formats.
//
// usage: property_driver TEXT_OUT OPENMETRICS_OUT < program
// Program lines (strings hex-encoded, "-" for empty; values as C99 hex floats,
// "nan", "inf" or "-inf"):
//   R p                      register pool metric p in the registry
//   C p v labels...          counter inc(v)
//   G p v labels...          gauge set(v)
//   H p v labels...          histogram observe(v)
//   S p v labels...          summary observe(v)
//   I p labels...            info set(labels...)
//   T p state on labels...   stateset set(state, on)
//   F type name help         collector family (counter, gauge, unknown)
//   X v name value ...       a sample of the last collector family
// An operation the library refuses with an exception is reported on stderr as
// "refused <line> <what>" and the program goes on: the model decides whether a
// refusal was allowed. Anything that aborts the process is a finding.
#include <promcxx/exposition.hpp>
#include <promcxx/info.hpp>
#include <promcxx/stateset.hpp>
#include <promcxx/summary.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace p = promcxx;

// The fixed pool of compile-time families; property_test.py mirrors it (POOL).
struct pool {
  std::optional<p::counter<"prop_requests_total", "Requests.", p::labels<"path", "code">>> c0;
  std::optional<p::counter<"prop_events_total", "Events.">> c1;
  std::optional<p::gauge<"prop_temperature_celsius", "Temperature.", p::labels<"sensor">>> g2;
  std::optional<p::gauge<"prop_level", "Level.">> g3;
  std::optional<p::histogram<"prop_latency_seconds", "Latency.", p::labels<"op">>> h4;
  std::optional<p::histogram<"prop_size_bytes", "Size.", p::buckets<1, 10, 100, 1000>>> h5;
  std::optional<p::summary<"prop_rpc_seconds", "RPC time.", p::labels<"svc">>> s6;
  std::optional<p::info<"prop_build", "Build.", p::labels<"version">>> i7;
  std::optional<p::stateset<"prop_role", "Role.", p::states<"leader", "follower">, p::labels<"peer">>> t8;
  // Clash with i7 (prop_build_info) and with c1's prop_events_created.
  std::optional<p::gauge<"prop_build_info", "Clashes with prop_build.">> g9;
  std::optional<p::gauge<"prop_events_created", "Clashes with prop_events_total.">> g10;
  std::optional<p::histogram<"prop_offset_seconds", "Offset.", p::buckets<-1, 0, 1>>> h11;
};

std::string unhex(const std::string& s) {
  if (s == "-") return {};
  std::string out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(static_cast<char>(std::stoi(s.substr(i, 2), nullptr, 16)));
  return out;
}

double value_of(const std::string& s) { return std::strtod(s.c_str(), nullptr); }

// Calls f with the series of m (Arity labels, as declared in the pool) for the given label values.
template <int Arity, class M, class F>
void on_series(M& m, const std::vector<std::string>& lv, F&& f) {
  if (lv.size() != Arity) throw std::runtime_error("property_driver: wrong number of label values");
  if constexpr (Arity == 0) f(m);
  else if constexpr (Arity == 1) f(m.labels(lv[0]));
  else f(m.labels(lv[0], lv[1]));
}

struct collected_family {
  std::string type, name, help;
  struct sample {
    double value;
    std::vector<std::string> names, values;
  };
  std::vector<sample> samples;
};

class program_collector final : public p::collector {
 public:
  std::vector<collected_family> families;
  void collect(p::collect_sink& sink) const override {
    for (const auto& f : families) {
      const auto type = f.type == "counter" ? p::metric_type::counter
                        : f.type == "gauge" ? p::metric_type::gauge
                                            : p::metric_type::unknown;
      if (!sink.family(f.name, f.help, type)) continue;
      for (const auto& s : f.samples) {
        std::vector<p::label_pair> labels;
        for (std::size_t i = 0; i < s.names.size(); ++i) labels.push_back({s.names[i], s.values[i]});
        sink.sample(std::span<const p::label_pair>(labels), s.value);
      }
    }
  }
};

void run(pool& m, p::registry& reg, program_collector& coll, const std::string& line) {
  std::istringstream in(line);
  std::string op;
  in >> op;
  if (op == "F") {
    std::string type, name, help;
    in >> type >> name >> help;
    coll.families.push_back({type, unhex(name), unhex(help), {}});
    return;
  }
  if (op == "X") {
    std::string v, name, value;
    in >> v;
    collected_family::sample s{value_of(v), {}, {}};
    while (in >> name >> value) {
      s.names.push_back(unhex(name));
      s.values.push_back(unhex(value));
    }
    coll.families.back().samples.push_back(std::move(s));
    return;
  }
  int index = -1;
  in >> index;
  if (op == "R") {
    switch (index) {
      case 0: m.c0.emplace(reg); break;
      case 1: m.c1.emplace(reg); break;
      case 2: m.g2.emplace(reg); break;
      case 3: m.g3.emplace(reg); break;
      case 4: m.h4.emplace(reg); break;
      case 5: m.h5.emplace(reg); break;
      case 6: m.s6.emplace(reg); break;
      case 7: m.i7.emplace(reg); break;
      case 8: m.t8.emplace(reg); break;
      case 9: m.g9.emplace(reg); break;
      case 10: m.g10.emplace(reg); break;
      case 11: m.h11.emplace(reg); break;
      default: throw std::runtime_error("property_driver: unknown pool metric");
    }
    return;
  }
  std::string v, state, on;
  if (op == "T") in >> state >> on;
  else if (op != "I") in >> v;
  std::vector<std::string> lv;
  for (std::string l; in >> l;) lv.push_back(unhex(l));
  const double x = value_of(v);
  auto need = [](auto& opt) -> auto& {
    if (!opt) throw std::runtime_error("property_driver: pool metric not registered");
    return *opt;
  };
  if (op == "C") {
    auto inc = [x](auto&& s) { s.inc(x); };
    if (index == 0) on_series<2>(need(m.c0), lv, inc);
    else on_series<0>(need(m.c1), lv, inc);
  } else if (op == "G") {
    auto set = [x](auto&& s) { s.set(x); };
    if (index == 2) on_series<1>(need(m.g2), lv, set);
    else if (index == 3) on_series<0>(need(m.g3), lv, set);
    else if (index == 9) on_series<0>(need(m.g9), lv, set);
    else on_series<0>(need(m.g10), lv, set);
  } else if (op == "H") {
    auto observe = [x](auto&& s) { s.observe(x); };
    if (index == 4) on_series<1>(need(m.h4), lv, observe);
    else if (index == 5) on_series<0>(need(m.h5), lv, observe);
    else on_series<0>(need(m.h11), lv, observe);
  } else if (op == "S") {
    on_series<1>(need(m.s6), lv, [x](auto&& s) { s.observe(x); });
  } else if (op == "I") {
    need(m.i7).set(lv.at(0));
  } else if (op == "T") {
    const std::string s = unhex(state);
    on_series<1>(need(m.t8), lv, [&](auto&& series) { series.set(s, on == "1"); });
  } else {
    throw std::runtime_error("property_driver: unknown operation " + op);
  }
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s TEXT_OUT OPENMETRICS_OUT < program\n", argv[0]);
    return 2;
  }
  p::registry reg;
  program_collector coll;
  int status = 0;
  {
    pool metrics;
    std::string line;
    std::size_t number = 0;
    while (std::getline(std::cin, line)) {
      ++number;
      if (line.empty()) continue;
      try {
        run(metrics, reg, coll, line);
      } catch (const std::exception& e) {
        std::cerr << "refused " << number << ' ' << e.what() << '\n';
      }
    }
    reg.add(coll);
    std::string out;
    for (const auto& [format, path] : {std::pair{p::exposition_format::text_0_0_4, argv[1]},
                                       std::pair{p::exposition_format::openmetrics_1_0_0, argv[2]}}) {
      p::render(reg, format, out);
      std::ofstream(path, std::ios::binary) << out;
    }
    reg.remove(coll);
  }
  return status;
}
