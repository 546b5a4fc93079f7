#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/model.hpp"

// The store's key and value encodings, the only place that knows them (docs/store-format.md).
// Internal to store/.
namespace berth::keys {

std::string be32(std::uint32_t v);
std::uint32_t read_be32(std::string_view s);

// apps, and the value of ports / names / slots: model bytes, NUL, app number (big-endian), so
// keys sort by model, then numerically by app. The decoders throw a runtime error on malformed
// input.
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

// The value of a port held by a lease in the ports index: NUL, then the lease id (an app's
// value never starts with NUL: model names are non-empty and hold no control characters).
std::string lease_owner(const std::string& id);
bool is_lease_owner(std::string_view value);
std::string lease_id_of(std::string_view value);

// leases: key the id; value compact JSON {pool, port, acquired, last_active, ttl, owner_pid}.
std::string encode_lease(const Lease& l);
// Throws a runtime error naming the lease and the field when it is malformed.
Lease decode_lease(const std::string& id, std::string_view value);

std::string join(const std::vector<std::string>& items, const std::string& sep);

}  // namespace berth::keys
