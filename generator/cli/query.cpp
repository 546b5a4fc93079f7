#include "generator/cli/command.hpp"

namespace berth {

using nlohmann::json;

namespace {

// `list --json` writes its objects itself, byte for byte as print_json would (two-space
// indents, keys in order, UTF-8 as it is): ten thousand apps never stand in memory as a DOM.
class ListJson {
 public:
  explicit ListJson(std::string& out) : m_out(out) {}

  void app(const Reservation& r, const AppUses& u) {
    m_out += "  {\n";
    field("app", std::to_string(r.key.app));
    field("created", u.created ? str(iso_utc(u.created)) : "null");
    if (!r.extra.empty()) {
      strings("extra", r.extra);
    }
    field("model", str(r.key.model));
    if (!r.key.ns.empty()) {
      field("namespace", str(r.key.ns));
    }
    if (!r.owner.empty()) {
      field("owner", str(r.owner));
    }
    strings("pinned", r.pinned);
    field("pool", str(r.pool));
    ports(r.ports);
    field("project", str(r.project));
    field("slot", r.slot ? std::to_string(*r.slot) : "null");
    uses(u.uses);
    m_out += "  }";
  }

 private:
  void field(const char* key, const std::string& value, bool last = false) {
    m_out.append("    \"").append(key).append("\": ").append(value).append(last ? "\n" : ",\n");
  }
  void strings(const char* key, const std::vector<std::string>& items) {
    std::string value = items.empty() ? "[]" : "[\n";
    for (std::size_t i = 0; i < items.size(); ++i) {
      value += "      " + str(items[i]) + (i + 1 < items.size() ? ",\n" : "\n    ]");
    }
    field(key, value);
  }
  void ports(const std::vector<NamedPort>& ports) {
    std::map<std::string, std::uint16_t> sorted;  // an object's keys, in order
    for (const auto& p : ports) {
      sorted[p.name] = p.port;
    }
    std::string value = sorted.empty() ? "{}" : "{\n";
    for (auto it = sorted.begin(); it != sorted.end(); ++it) {
      value += "      " + str(it->first) + ": " + std::to_string(it->second) +
               (std::next(it) == sorted.end() ? "\n    }" : ",\n");
    }
    field("ports", value);
  }
  void uses(const std::vector<Use>& uses) {
    std::string value = uses.empty() ? "[]" : "[\n";
    for (std::size_t i = 0; i < uses.size(); ++i) {
      value += "      {\n        \"kind\": " + str(uses[i].kind) +
               ",\n        \"path\": " + str(uses[i].path) +
               ",\n        \"seen\": " + str(iso_utc(uses[i].seen)) + "\n      }" +
               (i + 1 < uses.size() ? ",\n" : "\n    ]");
    }
    field("uses", value, true);
  }
  // A JSON string, escaped by nlohmann's own serializer (so invalid UTF-8 is refused as
  // print_json refuses it).
  static std::string str(const std::string& s) { return json(s).dump(); }

  std::string& m_out;
};

void print_list_json(const std::vector<Reservation>& all, const std::map<AppKey, AppUses>& uses) {
  if (all.empty()) {
    std::cout << "[]\n";
    return;
  }
  std::string out = "[\n";
  const AppUses none;
  ListJson writer(out);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto it = uses.find(all[i].key);
    writer.app(all[i], it == uses.end() ? none : it->second);
    out += i + 1 < all.size() ? ",\n" : "\n";
    if (out.size() > (std::size_t(1) << 20)) {
      std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
      out.clear();
    }
  }
  out += "]\n";
  std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
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
    const auto all = store.list(filter);
    if (o.json) {
      print_list_json(all, store.all_uses(filter));
    } else if (all.empty()) {
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
