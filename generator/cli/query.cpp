#include "generator/cli/command.hpp"

#include "generator/io/json_text.hpp"

namespace berth {

using nlohmann::json;

namespace {

// `list --json` writes its objects itself, as print_json would (json_text), one app at a time
// as the store hands them over: ten thousand apps never stand in memory, as records or as a DOM.
void list_json_app(std::string& out, const Reservation& r, const AppUses& u) {
  namespace jt = json_text;
  out += "  {\n";
  jt::key(out, 4, "app").append(std::to_string(r.key.app)).append(",\n");
  jt::key(out, 4, "created");
  (u.created ? jt::str(out, iso_utc(u.created)) : out.append("null")).append(",\n");
  if (!r.extra.empty()) {
    jt::strings(jt::key(out, 4, "extra"), 4, r.extra).append(",\n");
  }
  jt::str(jt::key(out, 4, "model"), r.key.model).append(",\n");
  if (!r.key.ns.empty()) {
    jt::str(jt::key(out, 4, "namespace"), r.key.ns).append(",\n");
  }
  if (!r.owner.empty()) {
    jt::str(jt::key(out, 4, "owner"), r.owner).append(",\n");
  }
  jt::strings(jt::key(out, 4, "pinned"), 4, r.pinned).append(",\n");
  jt::str(jt::key(out, 4, "pool"), r.pool).append(",\n");
  jt::ports(jt::key(out, 4, "ports"), 4, r.ports).append(",\n");
  jt::str(jt::key(out, 4, "project"), r.project).append(",\n");
  jt::key(out, 4, "slot").append(r.slot ? std::to_string(*r.slot) : "null").append(",\n");
  jt::key(out, 4, "uses").append(u.uses.empty() ? "[]" : "[\n");
  for (std::size_t i = 0; i < u.uses.size(); ++i) {
    out += "      {\n";
    jt::str(jt::key(out, 8, "kind"), u.uses[i].kind).append(",\n");
    jt::str(jt::key(out, 8, "path"), u.uses[i].path).append(",\n");
    jt::str(jt::key(out, 8, "seen"), iso_utc(u.uses[i].seen)).append("\n      }");
    out += i + 1 < u.uses.size() ? ",\n" : "\n    ]";
  }
  out += "\n  }";
}

// The apps as one JSON array, written when it is whole: a malformed record met halfway is an
// error with nothing printed, not half a list.
void print_list_json(const Store& store, const AppFilter& filter) {
  // Kept in pieces of about 64 KiB rather than one string that grows (and is copied) by halves.
  constexpr std::size_t k_piece = 64 * 1024;
  std::vector<std::string> pieces(1);
  bool first = true;
  store.each_app(filter, [&](const Reservation& r, const AppUses& u) {
    std::string& out = pieces.back();
    if (out.capacity() < k_piece) {
      out.reserve(k_piece + 4096);
    }
    out += first ? "[\n" : ",\n";
    first = false;
    list_json_app(out, r, u);
    if (out.size() >= k_piece) {
      pieces.emplace_back();
    }
  });
  pieces.back() += first ? "[]\n" : "\n]\n";
  for (const auto& piece : pieces) {
    std::cout.write(piece.data(), static_cast<std::streamsize>(piece.size()));
  }
}

}  // namespace

// berth list [--model M]
Command add_list(CLI::App& app, const Options& o) {
  struct Vars {
    std::string l_model, l_owner;
  };
  const auto v = std::make_shared<Vars>();
  auto* list = app.add_subcommand("list", "Show reservations");
  list->add_option("--model", v->l_model, "Only this model's apps");
  list->add_option("--owner", v->l_owner, "Only the apps this project owns")->type_name("PROJECT");
  const auto run = [&o, v, list]() -> int {
    const AppFilter filter = app_filter(o, list, v->l_model, v->l_owner);
    const Store store = open_store(o, true);
    if (o.json) {
      print_list_json(store, filter);
      return 0;
    }
    const auto all = store.list(filter);
    if (all.empty()) {
      std::cout << "no reservations\n";
    } else {
      print_reservations(std::cout, all);
    }
    return 0;
  };
  return {list, run};
}

// berth check
Command add_check(CLI::App& app, const Options& o) {
  struct Vars {
    bool host = false;
  };
  const auto v = std::make_shared<Vars>();
  auto* check = app.add_subcommand("check",
                                   "Verify the store's invariants (and, with --host, "
                                   "what this host listens on)");
  check->add_flag("--host", v->host,
                  "Also: listeners on held ports, pools against the kernel's ephemeral range");
  return {check, [&o, v]() -> int {
            Store store = open_store(o, true);
            std::size_t count = 0;
            const auto problems = store.check(count);
            const HostReport host = v->host ? check_host(store) : HostReport{};
            if (o.json) {
              json j = {{"ok", problems.empty() && host.taken == 0},
                        {"problems", problems},
                        {"reservations", count}};
              if (v->host) {
                j["host"] = {{"listeners", host.listeners},
                             {"taken", host.taken},
                             {"findings", host.findings}};
              }
              print_json(j);
            } else {
              for (const auto& p : problems) {
                std::cout << "problem: " << p << '\n';
              }
              if (problems.empty()) {
                std::cout << "ok: " << count << " reservation(s), no port or name held twice\n";
              }
              if (v->host) {
                for (const auto& f : host.findings) {
                  std::cout << f["kind"].get<std::string>() << ": "
                            << f["message"].get<std::string>() << '\n';
                }
                std::cout << "host: " << host.listeners << " TCP listener(s), " << host.taken
                          << " held port(s) taken by something else\n";
              }
            }
            if (!problems.empty()) {
              std::cerr << "berth: error: check found " << problems.size()
                        << " problem(s) in store " << quote(store.dir().string()) << '\n';
              return static_cast<int>(ErrorKind::conflict);
            }
            if (host.taken > 0) {
              std::cerr << "berth: error: " << host.taken
                        << " held port(s) are taken by something else on this host\n";
              return static_cast<int>(ErrorKind::conflict);
            }
            return 0;
          }};
}

// berth stats
Command add_stats(CLI::App& app, const Options& o) {
  auto* stats = app.add_subcommand("stats", "Per pool: capacity, held, free, highest slot, holes");
  return {
      stats, [&o, stats]() -> int {
        const auto all = open_store(o, true).stats();
        if (o.json) {
          json j = json::array();
          for (const auto& s : all) {
            j.push_back({{"pool", s.pool},
                         {"capacity", s.capacity},
                         {"held", s.held},
                         {"slots_held", s.slots_held},
                         {"free", s.free},
                         {"highest_slot", s.highest_slot ? json(*s.highest_slot) : json(nullptr)},
                         {"holes", s.holes}});
          }
          print_json(j);
        } else {
          std::vector<std::vector<std::string>> rows = {
              {"Pool", "Capacity", "Held", "Free", "Highest slot", "Holes"}};
          for (const auto& s : all) {
            rows.push_back(
                {s.pool, std::to_string(s.capacity), std::to_string(s.held), std::to_string(s.free),
                 s.highest_slot ? std::to_string(*s.highest_slot) : "-", std::to_string(s.holes)});
          }
          print_table(std::cout, rows);
        }
        return 0;
      }};
}

}  // namespace berth
