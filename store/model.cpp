#include "store/model.hpp"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <optional>

#include "store/error.hpp"
#include "store/json_read.hpp"

namespace berth {

std::string describe(const AppKey& key) {
  std::string text = quote(key.model) + " app " + std::to_string(key.app);
  return key.ns.empty() ? text : text + " in namespace " + quote(key.ns);
}

void validate_namespace(const std::string& ns) {
  bool ok =
      !ns.empty() && ns.size() <= k_max_namespace_bytes && ns.front() != '-' && ns.back() != '-';
  for (char c : ns) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  }
  if (!ok) {
    throw usage_error("namespace " + quote(ns.substr(0, 60)) +
                      " must be 1 to 24 lowercase letters, digits and '-', starting and ending "
                      "with a letter or digit (it prefixes compose project names and host "
                      "names), e.g. 'task-b'");
  }
}

namespace {

// Decodes one UTF-8 code point at s[i]; returns its length, or 0 if the bytes are not valid
// UTF-8 (overlong forms, surrogates and values above U+10FFFF are invalid).
std::size_t utf8_char(const std::string& s, std::size_t i, std::uint32_t& cp) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  std::size_t len;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  static const std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

void check_text(const std::string& text, const std::string& what) {
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t cp = 0;
    const std::size_t len = utf8_char(text, i, cp);
    if (len == 0) {
      throw usage_error(what + " " + quote(text) + " is not valid UTF-8 (at byte " +
                        std::to_string(i) + ")");
    }
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) {
      throw usage_error(what + " " + quote(text) +
                        " contains a control character or line separator (at byte " +
                        std::to_string(i) + ")");
    }
    i += len;
  }
}

void validate_model(const std::string& model) {
  if (model.empty()) {
    throw usage_error("model name is empty");
  }
  if (model.size() > k_max_model_bytes) {
    throw usage_error("model name " + quote(model.substr(0, 40)) + "... is " +
                      std::to_string(model.size()) + " bytes; the limit is " +
                      std::to_string(k_max_model_bytes));
  }
  check_text(model, "model name");
}

void validate_app(long long app) {
  if (app < 1 || app > k_max_app) {
    throw usage_error("app number " + std::to_string(app) + " is out of range; use 1 to " +
                      std::to_string(k_max_app));
  }
}

std::uint16_t validate_port(long long port, const std::string& what) {
  if (port < 1 || port > 65535) {
    throw usage_error(what + " " + std::to_string(port) + " is not a port; use 1 to 65535");
  }
  return static_cast<std::uint16_t>(port);
}

void validate_pool_name(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 32 && is_lower_alnum(name[0]) &&
                  std::all_of(name.begin(), name.end(),
                              [](char c) { return is_lower_alnum(c) || c == '-' || c == '_'; });
  if (!ok) {
    throw usage_error("pool name " + quote(name) +
                      " is invalid; use lowercase letters, digits, '-' and '_' (at most 32, "
                      "starting with a letter or digit)");
  }
}

void validate_port_name(const std::string& name) {
  const bool ok =
      !name.empty() && name.size() <= 32 && name[0] >= 'a' && name[0] <= 'z' &&
      std::all_of(name.begin(), name.end(), [](char c) { return is_lower_alnum(c) || c == '_'; });
  if (!ok) {
    throw usage_error("port name " + quote(name) +
                      " is invalid; use lowercase letters, digits and '_' (at most 32, starting "
                      "with a letter)");
  }
}

std::uint32_t Pool::capacity() const {
  std::uint32_t cap = UINT32_MAX;
  for (const auto& r : ports) {
    cap = std::min<std::uint32_t>(cap, (r.last - r.first) / step + 1);
  }
  return ports.empty() ? 0 : cap;
}

std::optional<std::uint32_t> Pool::slot_of(std::size_t role, std::uint16_t port) const {
  const auto& r = ports[role];
  if (port < r.first || port > r.last || (port - r.first) % step != 0) {
    return std::nullopt;
  }
  const std::uint32_t slot = (port - r.first) / step;
  return slot < capacity() ? std::optional<std::uint32_t>(slot) : std::nullopt;
}

std::optional<std::size_t> Pool::role_of(const std::string& name) const {
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].name == name) {
      return i;
    }
  }
  return std::nullopt;
}

void validate_pool(const Pool& pool, bool allow_ephemeral) {
  validate_pool_name(pool.name);
  const std::string where = "pool " + quote(pool.name) + ": ";
  if (pool.ports.empty()) {
    throw usage_error(where + "names no ports; give at least one NAME=FIRST-LAST");
  }
  if (pool.step < 1) {
    throw usage_error(where + "step must be at least 1");
  }
  if (pool.lease && pool.ports.size() != 1) {
    throw usage_error(where + "a lease pool has one range (for example port=32100-32200)");
  }
  if (pool.extra && pool.ports.size() != 1) {
    throw usage_error(where + "an extra pool has one range (for example node=30000-32099)");
  }
  if (pool.extra && pool.lease) {
    throw usage_error(where + "a pool is a lease pool or an extra pool, not both");
  }
  for (std::size_t i = 0; i < pool.ports.size(); ++i) {
    const auto& r = pool.ports[i];
    validate_port_name(r.name);
    if (r.first < 1 || r.first > r.last) {
      throw usage_error(where + "range " + r.name + "=" + std::to_string(r.first) + "-" +
                        std::to_string(r.last) + " is empty or starts at 0");
    }
    if (!allow_ephemeral && r.last >= k_ephemeral_first && r.first <= k_ephemeral_last) {
      throw usage_error(where + "range " + r.name + "=" + std::to_string(r.first) + "-" +
                        std::to_string(r.last) + " enters the ephemeral range 32768-60999; " +
                        "move it or allow it explicitly (--allow-ephemeral)");
    }
    for (std::size_t j = 0; j < i; ++j) {
      const auto& o = pool.ports[j];
      if (o.name == r.name) {
        throw usage_error(where + "port name " + quote(r.name) + " appears twice");
      }
      if (r.first <= o.last && o.first <= r.last) {
        throw usage_error(where + "ranges " + o.name + " and " + r.name + " overlap");
      }
    }
  }
}

std::optional<std::uint16_t> Reservation::port(const std::string& name) const {
  for (const auto& p : ports) {
    if (p.name == name) {
      return p.port;
    }
  }
  return std::nullopt;
}

nlohmann::json to_json(const Pool& pool) {
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& r : pool.ports) {
    ports.push_back({{"name", r.name}, {"first", r.first}, {"last", r.last}});
  }
  nlohmann::json j = {
      {"name", pool.name}, {"ports", ports}, {"step", pool.step}, {"capacity", pool.capacity()}};
  if (pool.lease) {
    j["kind"] = "lease";
  }
  if (pool.extra) {
    j["kind"] = "extra";
  }
  return j;
}

void validate_lease_id(const std::string& id) {
  if (id.empty()) {
    throw usage_error("lease id is empty");
  }
  if (id.size() > k_max_lease_id_bytes) {
    throw usage_error("lease id " + quote(id.substr(0, 40)) + "... is " +
                      std::to_string(id.size()) + " bytes; the limit is " +
                      std::to_string(k_max_lease_id_bytes));
  }
  check_text(id, "lease id");
}

std::optional<std::int64_t> Lease::expires() const {
  return ttl > 0 ? std::optional<std::int64_t>(last_active + ttl) : std::nullopt;
}

bool Lease::reclaimable(std::int64_t now) const {
  if (ttl > 0 && last_active + ttl <= now) {
    return true;
  }
  return owner_pid > 0 && ::kill(static_cast<pid_t>(owner_pid), 0) != 0 && errno == ESRCH;
}

std::string iso_utc(std::int64_t seconds) {
  // The last time asked, kept: a list of apps reserved in one batch shares one creation time.
  thread_local std::optional<std::int64_t> last_seconds;
  thread_local std::string last_text;
  if (last_seconds == seconds) {
    return last_text;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  last_seconds = seconds;
  last_text = buf;
  return last_text;
}

nlohmann::json to_json(const Lease& l) {
  return {
      {"id", l.id},
      {"pool", l.pool},
      {"port", l.port},
      {"acquired", iso_utc(l.acquired)},
      {"last_active", iso_utc(l.last_active)},
      {"ttl", l.ttl},
      {"owner_pid", l.owner_pid > 0 ? nlohmann::json(l.owner_pid) : nlohmann::json(nullptr)},
      {"expires", l.expires() ? nlohmann::json(iso_utc(*l.expires())) : nlohmann::json(nullptr)}};
}

nlohmann::json to_json(const Use& u) {
  return {{"kind", u.kind}, {"path", u.path}, {"seen", iso_utc(u.seen)}};
}

Pool pool_from_json(const nlohmann::json& j, const std::string& where, ErrorKind kind) {
  const JsonFields f(j, where, kind);
  f.only({"name", "ports", "step", "capacity", "kind"});
  Pool pool;
  const std::string pool_kind = f.string_or("kind", "apps");
  if (pool_kind != "apps" && pool_kind != "lease" && pool_kind != "extra") {
    f.fail("\"kind\" " + quote(pool_kind) + " is not \"apps\", \"lease\" or \"extra\"");
  }
  pool.lease = pool_kind == "lease";
  pool.extra = pool_kind == "extra";
  pool.name = f.string("name");
  pool.step = static_cast<std::uint16_t>(f.integer("step", 1, 65535));
  const auto& ports = f.array("ports");
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const JsonFields r(ports[i], where + ": port range " + std::to_string(i + 1), kind);
    r.only({"name", "first", "last"});
    pool.ports.push_back({r.string("name"),
                          static_cast<std::uint16_t>(r.integer("first", 1, 65535)),
                          static_cast<std::uint16_t>(r.integer("last", 1, 65535))});
  }
  return pool;
}

nlohmann::json to_json(const Reservation& r) {
  nlohmann::json ports = nlohmann::json::object();
  for (const auto& p : r.ports) {
    ports[p.name] = p.port;
  }
  nlohmann::json j = {
      {"model", r.key.model}, {"app", r.key.app},
      {"pool", r.pool},       {"slot", r.slot ? nlohmann::json(*r.slot) : nlohmann::json(nullptr)},
      {"ports", ports},       {"pinned", r.pinned},
      {"project", r.project}};
  if (!r.extra.empty()) {
    j["extra"] = r.extra;
  }
  if (!r.owner.empty()) {
    j["owner"] = r.owner;
  }
  if (!r.key.ns.empty()) {
    j["namespace"] = r.key.ns;
  }
  return j;
}

bool AppFilter::matches(const Reservation& r) const {
  return (!model || r.key.model == *model) && (!ns || r.key.ns == *ns) &&
         (!owner || r.owner == *owner);
}

void validate_key(const AppKey& key) {
  validate_model(key.model);
  validate_app(key.app);
  if (!key.ns.empty()) {
    validate_namespace(key.ns);
  }
}

void validate_owner(const std::string& owner) {
  if (owner.empty() || owner.size() > 200) {
    throw usage_error("owner " + quote(owner.substr(0, 60)) +
                      " must be a project name of 1 to 200 bytes");
  }
  check_text(owner, "owner");
}

}  // namespace berth
