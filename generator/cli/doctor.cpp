#include "generator/health/doctor.hpp"
#include "generator/cli/command.hpp"

namespace berth {

namespace fs = std::filesystem;

// berth doctor [--build DIR]
Command add_doctor(CLI::App& app, const Options& o) {
  struct Vars {
    std::string build;
  };
  const auto v = std::make_shared<Vars>();
  auto* sub = app.add_subcommand(
      "doctor", "Everything at once when something is wrong: store, host, pools, a build's lock");
  sub->add_option("--build", v->build,
                  "A CMake build folder: check its lock file against the store")
      ->type_name("DIR");
  const auto run = [&o, v]() -> int {
    const Store store = open_store(o, true);
    const DoctorReport d =
        doctor(store, v->build.empty() ? std::nullopt : std::optional<fs::path>(v->build));
    if (o.json) {
      print_json(d.report);
    } else {
      for (const auto& l : d.lines) {
        std::cout << l << '\n';
      }
      for (const auto& w : d.warnings) {
        std::cout << "warning: " << w << '\n';
      }
      for (const auto& p : d.problems) {
        std::cout << "problem: " << p << '\n';
      }
      std::cout << "doctor: " << d.problems.size() << " problem(s), " << d.warnings.size()
                << " warning(s)\n";
    }
    if (!d.problems.empty()) {
      std::cerr << "berth: error: doctor found " << d.problems.size() << " problem(s)\n";
      return static_cast<int>(ErrorKind::conflict);
    }
    return 0;
  };
  return {sub, run};
}

}  // namespace berth
