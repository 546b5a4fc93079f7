#include "store/keys.hpp"

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

// apps value: compact JSON {pool, slot, ports: [[name, port]...], pinned, project, extra?,
// owner?}.
std::string encode_record(const Reservation& r) {
  json ports = json::array();
  for (const auto& p : r.ports) {
    ports.push_back({p.name, p.port});
  }
  json j = {{"pool", r.pool},
            {"slot", r.slot ? json(*r.slot) : json(nullptr)},
            {"ports", ports},
            {"pinned", r.pinned},
            {"project", r.project}};
  if (!r.extra.empty()) {
    j["extra"] = r.extra;
  }
  if (!r.owner.empty()) {
    j["owner"] = r.owner;  // only when there is one: records of unowned apps stay as they were
  }
  return j.dump();
}

Reservation decode_record(const AppKey& key, std::string_view value) {
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
  return json{{field, t}}.dump();
}

std::int64_t decode_time(const char* field, std::string_view value, const std::string& where) {
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
