#include "generator/cli/command.hpp"

namespace berth {

using nlohmann::json;

namespace {

// `list --json` writes its objects itself, byte for byte as print_json would (two-space
// indents, keys in order, UTF-8 as it is), one app at a time as the store hands them over:
// ten thousand apps never stand in memory, as records or as a DOM.
class ListJson {
 public:
  explicit ListJson(std::string& out) : m_out(out) {}

  void app(const Reservation& r, const AppUses& u) {
    m_out += "  {\n";
    key("app").append(std::to_string(r.key.app)).append(",\n");
    key("created");
    u.created ? str(iso_utc(u.created)) : m_out.append("null");
    m_out += ",\n";
    if (!r.extra.empty()) {
      strings("extra", r.extra);
    }
    string_field("model", r.key.model);
    if (!r.key.ns.empty()) {
      string_field("namespace", r.key.ns);
    }
    if (!r.owner.empty()) {
      string_field("owner", r.owner);
    }
    strings("pinned", r.pinned);
    string_field("pool", r.pool);
    ports(r.ports);
    string_field("project", r.project);
    key("slot").append(r.slot ? std::to_string(*r.slot) : "null").append(",\n");
    uses(u.uses);
    m_out += "  }";
  }

 private:
  std::string& key(const char* name) { return m_out.append("    \"").append(name).append("\": "); }
  void string_field(const char* name, const std::string& value) {
    key(name);
    str(value).append(",\n");
  }
  void strings(const char* name, const std::vector<std::string>& items) {
    key(name).append(items.empty() ? "[]" : "[\n");
    for (std::size_t i = 0; i < items.size(); ++i) {
      m_out += "      ";
      str(items[i]).append(i + 1 < items.size() ? ",\n" : "\n    ]");
    }
    m_out += ",\n";
  }
  void ports(const std::vector<NamedPort>& ports) {
    std::map<std::string, std::uint16_t> sorted;  // an object's keys, in order
    for (const auto& p : ports) {
      sorted[p.name] = p.port;
    }
    key("ports").append(sorted.empty() ? "{}" : "{\n");
    for (auto it = sorted.begin(); it != sorted.end(); ++it) {
      m_out += "      ";
      str(it->first).append(": ").append(std::to_string(it->second));
      m_out += std::next(it) == sorted.end() ? "\n    }" : ",\n";
    }
    m_out += ",\n";
  }
  void uses(const std::vector<Use>& uses) {
    key("uses").append(uses.empty() ? "[]" : "[\n");
    for (std::size_t i = 0; i < uses.size(); ++i) {
      m_out += "      {\n        \"kind\": ";
      str(uses[i].kind).append(",\n        \"path\": ");
      str(uses[i].path).append(",\n        \"seen\": ");
      str(iso_utc(uses[i].seen)).append("\n      }");
      m_out += i + 1 < uses.size() ? ",\n" : "\n    ]";
    }
    m_out += "\n";
  }
  // A JSON string. Printable ASCII without a quote or backslash is written as it is (what
  // nlohmann's serializer writes for it); anything else goes through that serializer, which
  // escapes it, and refuses invalid UTF-8 as print_json does.
  std::string& str(const std::string& s) {
    const bool plain = std::all_of(
        s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
    return plain ? m_out.append(1, '"').append(s).append(1, '"') : m_out.append(json(s).dump());
  }

  std::string& m_out;
};

// The apps as one JSON array, written out a megabyte at a time.
void print_list_json(const Store& store, const AppFilter& filter) {
  constexpr std::size_t k_chunk = std::size_t(1) << 20;
  std::string out;
  out.reserve(k_chunk + (k_chunk >> 2));
  ListJson writer(out);
  bool first = true;
  store.each_app(filter, [&](const Reservation& r, const AppUses& u) {
    out += first ? "[\n" : ",\n";
    first = false;
    writer.app(r, u);
    if (out.size() > k_chunk) {
      std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
      out.clear();
    }
  });
  out += first ? "[]\n" : "\n]\n";
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
