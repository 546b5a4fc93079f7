#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/model.hpp"

// The store's key and value encodings, the only place that knows them (docs/store-format.md).
// Internal to store/.
namespace berth::keys {

std::string be32(std::uint32_t v);
std::uint32_t read_be32(std::string_view s);

// apps, and the value of ports / names / slots: model bytes, NUL, app number (big-endian), so
// keys sort by model, then numerically by app. An app in a namespace has the namespace and 0x02
// in front (neither a model nor a namespace holds control bytes); the empty namespace adds
// nothing, so stores written before namespaces read the same. The decoders throw a runtime error
// on malformed input.
constexpr char k_namespace_end = '\x02';
std::string app_key(const AppKey& key);
AppKey decode_app_key(std::string_view s);
// ports: the port, big-endian (2 bytes).
std::string port_key(std::uint16_t port);
std::uint16_t decode_port_key(std::string_view s);
// slots and holes: pool name, NUL, slot (big-endian).
std::string slot_prefix(const std::string& pool);
std::string slot_key(const std::string& pool, std::uint32_t slot);
std::uint32_t decode_slot_key(std::string_view s);
std::string decode_slot_pool(std::string_view s);

// meta keys
constexpr char k_meta_schema[] = "schema";
constexpr char k_meta_excluded[] = "excluded";
constexpr char k_meta_settings[] = "settings";
std::string meta_high(const std::string& pool);

// apps value: compact JSON {pool, slot, ports: [[name, port]...], pinned, project}.
std::string encode_record(const Reservation& r);
// Throws a runtime error naming the record and the field when it is malformed.
Reservation decode_record(const AppKey& key, std::string_view value);
// The record exactly as encode_record writes it, read without a DOM; nullopt for any other bytes
// (decode_record then reads them field by field, with its errors). For tests and fuzzing.
std::optional<Reservation> decode_canonical_record(const AppKey& key, std::string_view value);

// The value of a port held by a lease in the ports index: NUL, then the lease id (an app's
// value never starts with NUL: model names are non-empty and hold no control characters).
std::string lease_owner(const std::string& id);
bool is_lease_owner(std::string_view value);
std::string lease_id_of(std::string_view value);

// leases: key the id; value compact JSON {pool, port, acquired, last_active, ttl, owner_pid}.
std::string encode_lease(const Lease& l);
// Throws a runtime error naming the lease and the field when it is malformed.
Lease decode_lease(const std::string& id, std::string_view value);

// uses: the app key alone -> {"created": T}; the app key, 0x01, kind, NUL, path -> {"seen": T}
// (Unix seconds). An app's entries share its key as a prefix, so one scan finds them.
std::string use_key(const AppKey& key, const std::string& kind, const std::string& path);
// The kind and path of a use key that starts with `app_key(key)`; nothing for the created entry.
// Throws a runtime error on a malformed key.
std::optional<std::pair<std::string, std::string>> decode_use_key(std::string_view app,
                                                                  std::string_view k);
std::string encode_time(const char* field, std::int64_t t);
// Throws a runtime error naming `where` unless the value is {field: non-negative integer}.
// `{"<field>":<digits>}` as encode_time writes it, read without a DOM; nullopt for anything
// else (decode_time reads that, with its message).
std::optional<std::int64_t> decode_canonical_time(const char* field, std::string_view value);
std::int64_t decode_time(const char* field, std::string_view value, const std::string& where);

std::string join(const std::vector<std::string>& items, const std::string& sep);

}  // namespace berth::keys
