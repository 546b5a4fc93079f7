#include "generator/cli/command.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <set>
#include <string_view>

namespace berth {

using nlohmann::json;

std::filesystem::path store_dir(const Options& o) {
  if (o.store_given && o.store.empty()) {
    throw usage_error(
        "--store is empty; give the store folder, or leave --store out to use "
        "the default store");
  }
  return o.store_given ? std::filesystem::path(o.store) : Store::default_dir();
}

Store open_store(const Options& o, bool read_only) {
  StoreOptions options;
  options.read_only = read_only;
  Store store(store_dir(o), options);
  if (const auto& up = store.upgraded()) {
    std::cerr << "berth: upgraded store " << quote(store.dir().string()) << " from schema "
              << up->from << " to " << Store::k_schema_version
              << "; the store as it was is kept in " << quote(up->backup.string())
              << " (an older berth reads it with --store)\n";
  }
  return store;
}

std::string namespace_of(const Options& o) {
  if (o.ns_given && o.ns.empty()) {
    throw usage_error(
        "--namespace is empty; give a namespace, or leave --namespace out for the "
        "apps of no namespace");
  }
  if (o.ns_given) {
    validate_namespace(o.ns);
  }
  return o.ns_given ? o.ns : std::string();
}

AppKey app_key_of(const Options& o, const std::string& model, const std::string& app) {
  AppKey key{model, parse_app(app), namespace_of(o)};
  validate_key(key);
  return key;
}

AppFilter namespace_filter(const Options& o) {
  AppFilter filter;
  if (o.ns_given) {
    filter.ns = namespace_of(o);
  }
  return filter;
}

void refuse_empty(const CLI::App* sub, const std::string& option, const std::string& value) {
  if (sub->count(option) > 0 && value.empty()) {
    throw usage_error(option + " is empty; give a value, or leave " + option +
                      " out for the default");
  }
}

bool skip_busy(const Store& store, bool on, bool off, bool by_default) {
  if (on && off) {
    throw usage_error("give --skip-busy or --no-skip-busy, not both");
  }
  if (on || off) {
    return on;
  }
  const auto settings = store.settings();
  return settings.contains("skip-busy") ? settings["skip-busy"] == true : by_default;
}

void add_skip_busy(CLI::App* sub, bool& on, bool& off) {
  sub->add_flag("--skip-busy", on,
                "A new allocation steps over ports something on this host listens on now");
  sub->add_flag("--no-skip-busy", off, "Do not, whatever the store's skip-busy setting says");
}

long long parse_int(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used, 10);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || text[0] == '+' || text[0] == ' ') {
    throw usage_error(what + " " + quote(text) + " is not a number");
  }
  return v;
}

std::int64_t parse_duration(const std::string& text, const std::string& option) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  const std::string unit = text.substr(digits);
  static const std::map<std::string, std::int64_t> units = {
      {"", 1}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {"w", 7 * 86400}};
  const auto it = units.find(unit);
  if (digits == 0 || digits > 9 || it == units.end()) {
    throw usage_error(option + " " + quote(text) +
                      " is not a duration; give seconds or a number with s, m, h, d or w "
                      "(15m, 1h, 30d)");
  }
  return std::stoll(text.substr(0, digits)) * it->second;
}

std::uint32_t parse_app(const std::string& text) {
  const long long v = parse_int(text, "app number");
  validate_app(v);
  return static_cast<std::uint32_t>(v);
}

// NAME=PORT
std::pair<std::string, std::uint16_t> parse_pin(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw usage_error("--port " + quote(text) + " is not NAME=PORT (for example backend=5101)");
  }
  const std::string name = text.substr(0, eq);
  return {name, validate_port(parse_int(text.substr(eq + 1), "port"), "port")};
}

std::map<std::string, std::uint16_t> parse_pins(const std::vector<std::string>& texts) {
  std::map<std::string, std::uint16_t> pins;
  for (const auto& text : texts) {
    const auto [name, port] = parse_pin(text);
    if (!pins.emplace(name, port).second) {
      throw usage_error("--port " + name + " is given twice");
    }
  }
  return pins;
}

// NAME=FIRST-LAST
PortRange parse_range(const std::string& text) {
  const auto eq = text.find('=');
  const auto dash = text.find('-', eq == std::string::npos ? 0 : eq);
  if (eq == std::string::npos || eq == 0 || dash == std::string::npos || dash == eq + 1 ||
      dash + 1 == text.size()) {
    throw usage_error("--range " + quote(text) +
                      " is not NAME=FIRST-LAST (for example backend=5001-7999)");
  }
  PortRange r;
  r.name = text.substr(0, eq);
  r.first = validate_port(parse_int(text.substr(eq + 1, dash - eq - 1), "port"), "port");
  r.last = validate_port(parse_int(text.substr(dash + 1), "port"), "port");
  return r;
}

// ---------------------------------------------------------------------------------------------
// Output

namespace {

std::string capitalize(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') {
    s[0] = static_cast<char>(s[0] - 'a' + 'A');
  }
  return s;
}

}  // namespace

// The columns a cell takes: its UTF-8 characters (continuation bytes take none).
std::size_t columns(std::string_view cell) {
  return static_cast<std::size_t>(std::count_if(cell.begin(), cell.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

namespace {

// A plain text table of `count` rows: columns padded to their widest cell, two spaces apart.
// row(i, cell) calls cell(text) for each cell of row i, in order; it is called twice per row
// (to measure, then to write), so that no row is kept: a batch's table has 50,000 rows.
template <class Row>
void write_table(std::ostream& out, std::size_t count, const Row& row) {
  std::vector<std::size_t> width;
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t col = 0;
    row(i, [&](std::string_view cell) {
      width.resize(std::max(width.size(), col + 1));
      width[col] = std::max(width[col], columns(cell));
      ++col;
    });
  }
  std::string text;  // written at once
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t start = text.size();
    std::size_t col = 0;
    std::size_t pad = 0;  // the spaces after the cell before
    row(i, [&](std::string_view cell) {
      text.append(pad, ' ');
      text += cell;
      pad = width[col++] - columns(cell) + 2;
    });
    // A row whose last cells are empty ends at its last text.
    const auto last = text.find_last_not_of(' ');
    text.erase(last == std::string::npos || last < start ? start : last + 1);
    text += '\n';
  }
  out << text;
}

// A number in decimal, in a buffer of its own.
class Decimal {
 public:
  std::string_view operator()(std::uint32_t n) {
    const char* end = std::to_chars(m_text.data(), m_text.data() + m_text.size(), n).ptr;
    return {m_text.data(), static_cast<std::size_t>(end - m_text.data())};
  }

 private:
  std::array<char, 10> m_text{};
};

// What the reservation table shows: the port names in order of first use, and the columns
// that only some lists need.
struct ReservationColumns {
  std::vector<std::string> names;
  std::vector<std::string> titles;  // capitalized names
  bool pool = false;
  bool owner = false;
  bool ns = false;

  explicit ReservationColumns(const std::vector<Reservation>& list) {
    std::set<std::string> pools;
    for (const auto& r : list) {
      pools.insert(r.pool);
      owner = owner || !r.owner.empty();
      ns = ns || !r.key.ns.empty();
      for (const auto& p : r.ports) {
        if (std::find(names.begin(), names.end(), p.name) == names.end()) {
          names.push_back(p.name);
          titles.push_back(capitalize(p.name));
        }
      }
    }
    pool = pools.size() > 1;
  }

  template <class Cell>
  void header(const Cell& cell) const {
    lead({"Namespace", "Model", "App", "Pool"}, cell);
    for (const auto& t : titles) {
      cell(t);
    }
    tail({"Project", "Owner"}, cell);
  }

  template <class Cell>
  void reservation(const Reservation& r, const Cell& cell) const {
    Decimal app;
    lead({r.key.ns.empty() ? "-" : r.key.ns, r.key.model, app(r.key.app), r.pool}, cell);
    for (const auto& n : names) {
      Decimal port;
      const auto p = r.port(n);
      cell(p ? port(*p) : std::string_view("-"));
    }
    tail({r.project, r.owner.empty() ? "-" : r.owner}, cell);
  }

 private:
  // Namespace, model, app, pool: the namespace and pool when shown.
  template <class Cell>
  void lead(const std::array<std::string_view, 4>& cells, const Cell& cell) const {
    if (ns) {
      cell(cells[0]);
    }
    cell(cells[1]);
    cell(cells[2]);
    if (pool) {
      cell(cells[3]);
    }
  }

  // Project, owner: the owner when shown.
  template <class Cell>
  void tail(const std::array<std::string_view, 2>& cells, const Cell& cell) const {
    cell(cells[0]);
    if (owner) {
      cell(cells[1]);
    }
  }
};

}  // namespace

// A plain text table: columns padded to their widest cell, two spaces apart.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  write_table(out, rows.size(), [&](std::size_t i, const auto& cell) {
    for (const auto& c : rows[i]) {
      cell(c);
    }
  });
}

// The earlier generator's table: Model, App, (Pool when more than one), one column per port name,
// Project.
void print_reservations(std::ostream& out, const std::vector<Reservation>& list) {
  const ReservationColumns shown(list);
  write_table(out, list.size() + 1, [&](std::size_t i, const auto& cell) {
    if (i == 0) {
      shown.header(cell);
    } else {
      shown.reservation(list[i - 1], cell);
    }
  });
}

json result_json(const ReserveResult& r) {
  json j = to_json(r.reservation);
  j["created"] = r.created;
  return j;
}

json results_json(const std::vector<ReserveResult>& results) {
  json j = json::array();
  for (const auto& r : results) {
    j.push_back(result_json(r));
  }
  return j;
}

void print_json(const json& j) {
  std::cout << j.dump(2) << '\n';
}

std::string range_text(const PortRange& r) {
  return r.name + "=" + std::to_string(r.first) + "-" + std::to_string(r.last);
}

// ---------------------------------------------------------------------------------------------

// [ADDR:]PORT as nginx's listen address (the front door's): ADDR is an IPv4 address, an IPv6
// one in brackets or `*` (every interface); without it, the loopback address (model-written apps
// behind the front door are not for the whole network). A usage error naming `option`.
std::string parse_listen(const std::string& text, const std::string& option) {
  const auto colon = text.rfind(':');
  const std::string addr = colon == std::string::npos ? "127.0.0.1" : text.substr(0, colon);
  const std::string port = colon == std::string::npos ? text : text.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
      std::stoi(port) > 65535) {
    throw usage_error(option + " " + quote(text) + ": " + quote(port) +
                      " is not a port (1 to 65535)");
  }
  unsigned char buf[16];
  const bool v6 = addr.size() > 2 && addr.front() == '[' && addr.back() == ']' &&
                  inet_pton(AF_INET6, addr.substr(1, addr.size() - 2).c_str(), buf) == 1;
  if (addr != "*" && !v6 && inet_pton(AF_INET, addr.c_str(), buf) != 1) {
    throw usage_error(option + " " + quote(text) + ": " + quote(addr) +
                      " is not an address; give an IPv4 address (0.0.0.0 for every interface), "
                      "an IPv6 one in brackets ([::1]) or *");
  }
  return addr + ":" + std::to_string(std::stoi(port));
}

AppFilter app_filter(const Options& o, const CLI::App* sub, const std::string& model,
                     const std::string& owner) {
  AppFilter filter = namespace_filter(o);
  if (sub->count("--model") > 0) {
    validate_model(model);
    filter.model = model;
  }
  if (sub->count("--owner") > 0) {
    validate_owner(owner);
    filter.owner = owner;
  }
  return filter;
}

}  // namespace berth
