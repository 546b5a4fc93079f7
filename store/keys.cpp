#include "store/keys.hpp"

#include <algorithm>
#include <climits>
#include <cstring>

#include <nlohmann/json.hpp>

#include "store/error.hpp"
#include "store/json_read.hpp"

namespace berth::keys {

using nlohmann::json;

// Key and value encodings: the only place that knows them (see docs/store-format.md).

std::string be32(std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  return std::string(b, 4);
}

std::uint32_t read_be32(std::string_view s) {
  unsigned char b[4];
  std::memcpy(b, s.data(), 4);  // values are unaligned: never cast the pointer
  return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) |
         std::uint32_t(b[3]);
}

// apps, and the value of ports / names / slots: model bytes, NUL, app number (big-endian), so
// keys sort by model, then numerically by app.
std::string app_key(const AppKey& key) {
  std::string out = key.ns.empty() ? std::string() : key.ns + k_namespace_end;
  return out + key.model + '\0' + be32(key.app);
}

AppKey decode_app_key(std::string_view s) {
  if (s.size() < 5 || s[s.size() - 5] != '\0') {
    throw runtime_error("store holds a malformed app key");
  }
  AppKey key{std::string(s.substr(0, s.size() - 5)), read_be32(s.substr(s.size() - 4)), {}};
  const auto end = key.model.find(k_namespace_end);
  if (end != std::string::npos) {
    key.ns = key.model.substr(0, end);
    key.model.erase(0, end + 1);
  }
  return key;
}

// ports: the port, big-endian (2 bytes).
std::string port_key(std::uint16_t port) {
  const char b[2] = {static_cast<char>(port >> 8), static_cast<char>(port)};
  return std::string(b, 2);
}

std::uint16_t decode_port_key(std::string_view s) {
  if (s.size() != 2) {
    throw runtime_error("store holds a malformed port key");
  }
  unsigned char b[2];
  std::memcpy(b, s.data(), 2);
  return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
}

// slots and holes: pool name, NUL, slot (big-endian).
std::string slot_prefix(const std::string& pool) {
  return pool + '\0';
}
std::string slot_key(const std::string& pool, std::uint32_t slot) {
  return slot_prefix(pool) + be32(slot);
}
std::uint32_t decode_slot_key(std::string_view s) {
  if (s.size() < 5 || s[s.size() - 5] != '\0') {
    throw runtime_error("store holds a malformed slot key");
  }
  return read_be32(s.substr(s.size() - 4));
}
std::string decode_slot_pool(std::string_view s) {
  return std::string(s.substr(0, s.size() - 5));
}

// meta keys
std::string meta_high(const std::string& pool) {
  return std::string("high") + '\0' + pool;
}

namespace {

// A JSON string as dump() writes it: printable ASCII without a quote or backslash as it is,
// anything else through nlohmann's serializer (which escapes it and refuses invalid UTF-8).
void put_string(std::string& out, const std::string& s) {
  const bool plain = std::all_of(
      s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
  if (!plain) {
    out += json(s).dump();
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

void put_strings(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += i ? "," : "";
    put_string(out, items[i]);
  }
  out += ']';
}

}  // namespace

// apps value: compact JSON {extra?, owner?, pinned, pool, ports: [[name, port]...], project,
// slot}, keys in order, written as json::dump() would write it, without a DOM (a configure
// writes a thousand at a time). `extra` and `owner` only when they hold something: records of
// unowned apps stay as they were.
std::string encode_record(const Reservation& r) {
  std::string out;
  out.reserve(128);  // most records fit
  out += '{';
  if (!r.extra.empty()) {
    out += "\"extra\":";
    put_strings(out, r.extra);
    out += ',';
  }
  if (!r.owner.empty()) {
    out += "\"owner\":";
    put_string(out, r.owner);
    out += ',';
  }
  out += "\"pinned\":";
  put_strings(out, r.pinned);
  out += ",\"pool\":";
  put_string(out, r.pool);
  out += ",\"ports\":[";
  for (std::size_t i = 0; i < r.ports.size(); ++i) {
    out += i ? ",[" : "[";
    put_string(out, r.ports[i].name);
    out += ',';
    out += std::to_string(r.ports[i].port);
    out += ']';
  }
  out += "],\"project\":";
  put_string(out, r.project);
  out += ",\"slot\":";
  out += r.slot ? std::to_string(*r.slot) : std::string("null");
  out += '}';
  return out;
}

namespace {

// Reads the bytes encode_record writes, in its order, without a DOM: a store of thousands of
// apps is read for every `list`, `check` and configure. Anything else (an escaped string, a
// field out of place, a value out of range) is left to the checked reader and its messages.
class CanonicalRecord {
 public:
  explicit CanonicalRecord(std::string_view s) : m_s(s) {}

  std::optional<Reservation> read(const AppKey& key) {
    Reservation r;
    r.key = key;
    // `extra` and `owner` are written only when they hold something.
    const bool ok = lit("{") &&
                    (!lit("\"extra\":") || (strings(r.extra) && !r.extra.empty() && lit(","))) &&
                    (!lit("\"owner\":") || (str(r.owner) && !r.owner.empty() && lit(","))) &&
                    lit("\"pinned\":") && strings(r.pinned) && lit(",\"pool\":") && str(r.pool) &&
                    lit(",\"ports\":") && ports(r.ports) && lit(",\"project\":") &&
                    str(r.project) && lit(",\"slot\":") && slot(r.slot) && lit("}") &&
                    m_i == m_s.size() && r.extra.size() <= r.ports.size();
    return ok ? std::optional<Reservation>(std::move(r)) : std::nullopt;
  }

 private:
  bool lit(std::string_view text) {
    if (m_s.substr(m_i, text.size()) != text) {
      return false;
    }
    m_i += text.size();
    return true;
  }
  // A string of printable ASCII with no escape in it (others go the checked way, which also
  // validates UTF-8).
  bool str(std::string& out) {
    if (!lit("\"")) {
      return false;
    }
    std::size_t end = m_i;
    while (end < m_s.size() && m_s[end] != '"') {
      const auto c = static_cast<unsigned char>(m_s[end]);
      if (c < 0x20 || c >= 0x7f || c == '\\') {
        return false;
      }
      ++end;
    }
    if (end == m_s.size()) {
      return false;
    }
    out.assign(m_s.substr(m_i, end - m_i));
    m_i = end + 1;
    return true;
  }
  bool number(std::uint64_t& out, std::uint64_t max) {
    const std::size_t start = m_i;
    out = 0;
    while (m_i < m_s.size() && m_s[m_i] >= '0' && m_s[m_i] <= '9' && m_i - start < 10) {
      out = out * 10 + static_cast<std::uint64_t>(m_s[m_i++] - '0');
    }
    const bool leading_zero = m_i - start > 1 && m_s[start] == '0';
    return m_i > start && !leading_zero && out <= max;
  }
  bool strings(std::vector<std::string>& out) {
    if (!lit("[")) {
      return false;
    }
    if (lit("]")) {
      return true;
    }
    do {
      out.emplace_back();
      if (!str(out.back())) {
        return false;
      }
    } while (lit(","));
    return lit("]");
  }
  bool ports(std::vector<NamedPort>& out) {
    if (!lit("[")) {
      return false;
    }
    if (lit("]")) {
      return true;
    }
    out.reserve(4);  // two, three ports for most templates: one allocation
    do {
      NamedPort p;
      std::uint64_t port = 0;
      if (!lit("[") || !str(p.name) || !lit(",") || !number(port, 65535) || port == 0 ||
          !lit("]")) {
        return false;
      }
      p.port = static_cast<std::uint16_t>(port);
      out.push_back(std::move(p));
    } while (lit(","));
    return lit("]");
  }
  bool slot(std::optional<std::uint32_t>& out) {
    if (lit("null")) {
      return true;
    }
    std::uint64_t n = 0;
    if (!number(n, UINT32_MAX)) {
      return false;
    }
    out = static_cast<std::uint32_t>(n);
    return true;
  }

  std::string_view m_s;
  std::size_t m_i = 0;
};

}  // namespace

std::optional<Reservation> decode_canonical_record(const AppKey& key, std::string_view value) {
  return CanonicalRecord(value).read(key);
}

Reservation decode_record(const AppKey& key, std::string_view value) {
  if (auto fast = decode_canonical_record(key, value)) {
    return std::move(*fast);
  }
  const std::string where = "store record of " + describe(key);
  const json j = json::parse(value.begin(), value.end(), nullptr, false);
  if (j.is_discarded()) {
    throw runtime_error(where + " is not JSON");
  }
  const JsonFields f(j, where, ErrorKind::runtime);
  Reservation r;
  r.key = key;
  r.pool = f.string("pool");
  if (!f.has("slot")) {
    f.fail("missing \"slot\"");
  }
  if (!f.raw("slot").is_null()) {
    r.slot = static_cast<std::uint32_t>(
        json_integer(f.raw("slot"), 0, UINT32_MAX, "\"slot\"", where, ErrorKind::runtime));
  }
  for (const auto& p : f.array("ports")) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_string()) {
      f.fail("port entry " + json_shown(p) + " is not [name, port]");
    }
    r.ports.push_back(
        {p[0].get<std::string>(), static_cast<std::uint16_t>(json_integer(
                                      p[1], 1, 65535, "port", where, ErrorKind::runtime))});
  }
  r.pinned = f.strings_or("pinned", {});
  r.project = f.string("project");
  r.extra = f.strings_or("extra", {});
  r.owner = f.string_or("owner", "");
  if (r.extra.size() > r.ports.size()) {
    f.fail("names more extra pools than it has ports");
  }
  return r;
}

std::string lease_owner(const std::string& id) {
  return std::string(1, '\0') + id;
}

bool is_lease_owner(std::string_view value) {
  return !value.empty() && value[0] == '\0';
}

std::string lease_id_of(std::string_view value) {
  return std::string(value.substr(1));
}

std::string encode_lease(const Lease& l) {
  return json{{"pool", l.pool},         {"port", l.port},
              {"acquired", l.acquired}, {"last_active", l.last_active},
              {"ttl", l.ttl},           {"owner_pid", l.owner_pid}}
      .dump();
}

Lease decode_lease(const std::string& id, std::string_view value) {
  const std::string where = "store lease record " + quote(id);
  const json j = json::parse(value.begin(), value.end(), nullptr, false);
  if (j.is_discarded()) {
    throw runtime_error(where + " is not JSON");
  }
  const JsonFields f(j, where, ErrorKind::runtime);
  Lease l;
  l.id = id;
  l.pool = f.string("pool");
  l.port = static_cast<std::uint16_t>(f.integer("port", 1, 65535));
  l.acquired = f.integer("acquired", 0, LLONG_MAX);
  l.last_active = f.integer("last_active", 0, LLONG_MAX);
  l.ttl = f.integer("ttl", 0, LLONG_MAX);
  l.owner_pid = f.integer("owner_pid", 0, INT_MAX);
  return l;
}

std::string use_key(const AppKey& key, const std::string& kind, const std::string& path) {
  return app_key(key) + '\x01' + kind + '\0' + path;
}

std::optional<std::pair<std::string, std::string>> decode_use_key(std::string_view app,
                                                                  std::string_view k) {
  if (k.size() == app.size()) {
    return std::nullopt;
  }
  const auto nul = k.find('\0', app.size() + 1);
  if (k.size() < app.size() + 3 || k[app.size()] != '\x01' || nul == std::string_view::npos) {
    throw runtime_error("store holds a malformed use key");
  }
  return std::make_pair(std::string(k.substr(app.size() + 1, nul - app.size() - 1)),
                        std::string(k.substr(nul + 1)));
}

std::string encode_time(const char* field, std::int64_t t) {
  // What json{{field, t}}.dump() writes (fields are plain ASCII names), without a DOM.
  return std::string("{\"") + field + "\":" + std::to_string(t) + "}";
}

std::optional<std::int64_t> decode_canonical_time(const char* field, std::string_view value) {
  const std::string head = std::string("{\"") + field + "\":";
  if (value.size() <= head.size() + 1 || value.substr(0, head.size()) != head ||
      value.back() != '}') {
    return std::nullopt;
  }
  const auto digits = value.substr(head.size(), value.size() - head.size() - 1);
  if (digits.size() > 18 || (digits.size() > 1 && digits[0] == '0')) {
    return std::nullopt;
  }
  std::int64_t n = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    n = n * 10 + (c - '0');
  }
  return n;
}

std::int64_t decode_time(const char* field, std::string_view value, const std::string& where) {
  if (const auto fast = decode_canonical_time(field, value)) {
    return *fast;
  }
  const json j = json::parse(value.begin(), value.end(), nullptr, false);
  if (j.is_discarded()) {
    throw runtime_error(where + " is not JSON");
  }
  return JsonFields(j, where, ErrorKind::runtime).integer(field, 0, LLONG_MAX);
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : sep) + item;
  }
  return out;
}

}  // namespace berth::keys
