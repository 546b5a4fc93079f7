#include "generator/inputs.hpp"

#include "generator/fileio.hpp"
#include "store/error.hpp"

namespace berth {

using nlohmann::json;

AppKey entry_key(const JsonFields& e, const char* app_field) {
  AppKey key{e.string("model"), 0};
  try {
    validate_model(key.model);
  } catch (const Error& err) {
    e.fail(err.what());
  }
  key.app = static_cast<std::uint32_t>(e.integer(app_field, 1, k_max_app));
  return key;
}

std::map<std::string, std::uint16_t> entry_ports(const JsonFields& e) {
  std::map<std::string, std::uint16_t> out;
  for (const auto& [name, port] : e.object("ports").items()) {
    out[name] =
        static_cast<std::uint16_t>(json_integer(port, 1, 65535, "port " + quote(name), e.where()));
  }
  return out;
}

// A batch file: a JSON list of {"model", "app", "pool"?, "ports"?, "op"?: "reserve"|"release"}.
std::vector<BatchOp> parse_batch(const std::string& path) {
  const json doc = read_json_file(path);
  if (!doc.is_array()) {
    throw usage_error(quote(path) + " must hold a JSON list of {\"model\", \"app\"} objects");
  }
  std::vector<BatchOp> ops;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const JsonFields e(doc[i], path + ": entry " + std::to_string(i + 1));
    e.only({"model", "app", "pool", "ports", "project", "op"});
    BatchOp op;
    op.request.key = entry_key(e, "app");
    const std::string kind = e.string_or("op", "reserve");
    if (kind == "release") {
      op.kind = BatchOp::Kind::release;
    } else if (kind != "reserve") {
      e.fail("op " + quote(kind) + " is neither \"reserve\" nor \"release\"");
    }
    op.request.pool = e.string_or("pool", "");
    if (e.has("ports")) {
      op.request.pins = entry_ports(e);
    }
    op.request.project = e.string_or("project", "");
    ops.push_back(std::move(op));
  }
  return ops;
}

// import: seed 001's port_config.json (a list) or berth's export (an object).
void parse_import(const std::string& path, std::vector<Pool>& pools,
                  std::vector<ReserveRequest>& requests, std::vector<Lease>* leases) {
  const json doc = read_json_file(path);
  if (doc.is_array()) {
    for (std::size_t i = 0; i < doc.size(); ++i) {
      const JsonFields e(doc[i], path + ": entry " + std::to_string(i + 1));
      ReserveRequest r;
      r.key = entry_key(e, "app_number");
      r.pool = k_default_pool;
      for (const char* role : {"backend", "frontend"}) {
        const std::string f = std::string(role) + "_port";
        r.pins[role] = static_cast<std::uint16_t>(e.integer(f.c_str(), 1, 65535));
      }
      requests.push_back(std::move(r));
    }
    return;
  }
  if (!doc.is_object() || !doc.contains("berth_export")) {
    throw usage_error(quote(path) +
                      " is neither a port_config.json list nor a berth export object");
  }
  const JsonFields top(doc, path);
  if (doc["berth_export"] != 1) {
    throw usage_error(quote(path) + " is a berth export of format " +
                      json_shown(doc["berth_export"]) + "; this berth reads format 1");
  }
  top.only({"berth_export", "excluded", "pools", "reservations", "leases"});
  if (top.has("leases")) {
    const json& list = top.array("leases");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const JsonFields e(list[i], path + ": lease " + std::to_string(i + 1));
      e.only({"id", "pool", "port", "acquired", "last_active", "ttl", "owner_pid"});
      Lease l;
      l.id = e.string("id");
      l.pool = e.string("pool");
      l.port = static_cast<std::uint16_t>(e.integer("port", 1, 65535));
      l.acquired = e.integer("acquired", 0, 253402300799);
      l.last_active = e.integer("last_active", 0, 253402300799);
      l.ttl = e.integer("ttl", 0, 253402300799);
      l.owner_pid = e.integer("owner_pid", 0, INT32_MAX);
      if (leases) {
        leases->push_back(std::move(l));
      }
    }
  }
  if (top.has("pools")) {
    const json& list = top.array("pools");
    for (std::size_t i = 0; i < list.size(); ++i) {
      pools.push_back(pool_from_json(list[i], path + ": pool " + std::to_string(i + 1)));
    }
  }
  if (top.has("excluded")) {
    top.array("excluded");  // informative: the importing store keeps its own excluded ports
  }
  const json reservations = top.has("reservations") ? top.array("reservations") : json::array();
  for (std::size_t i = 0; i < reservations.size(); ++i) {
    const JsonFields e(reservations[i], path + ": reservation " + std::to_string(i + 1));
    e.only({"model", "app", "pool", "ports", "project"});
    ReserveRequest r;
    r.key = entry_key(e, "app");
    r.pool = e.string("pool");
    r.pins = entry_ports(e);
    r.project = e.string("project");
    requests.push_back(std::move(r));
  }
}

}  // namespace berth
