#include <catch2/catch.hpp>

#include <lmdb++.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "store/error.hpp"
#include "store/keys.hpp"
#include "store/lmdb_env.hpp"
#include "store/names.hpp"
#include "store/store.hpp"
#include "unit/temp_dir.hpp"

using namespace berth;

namespace {

ReserveRequest req(const std::string& model, std::uint32_t app, std::string pool = "",
                   std::map<std::string, std::uint16_t> pins = {}) {
  ReserveRequest r;
  r.key = {model, app};
  r.pool = std::move(pool);
  r.pins = std::move(pins);
  return r;
}

std::pair<int, int> ports_of(const Reservation& r) {
  return {*r.port("backend"), *r.port("frontend")};
}

// Checks the store-wide invariant directly: no port, name or slot held twice.
void require_unique(const Store& store) {
  std::set<std::uint16_t> ports;
  std::set<std::string> names;
  std::set<std::pair<std::string, std::uint32_t>> slots;
  for (const auto& r : store.list()) {
    for (const auto& p : r.ports) {
      INFO(describe(r.key) << " port " << p.port);
      REQUIRE(ports.insert(p.port).second);
    }
    REQUIRE(names.insert(r.project).second);
    if (r.slot) {
      REQUIRE(slots.insert({r.pool, *r.slot}).second);
    }
  }
  REQUIRE(store.check().empty());
}

ErrorKind kind_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("no berth::Error thrown");
  return ErrorKind::runtime;
}

// One change made to a store past berth: `value` put under `key` in database `db`, or the key
// deleted when there is no value; with `drop`, the whole database deleted.
struct RawEdit {
  std::string db;
  std::string key;
  std::optional<std::string> value;
  bool drop = false;
};

// Makes `edits` to the store in `dir` in one LMDB transaction, as a damaged or foreign store
// would hold them.
void raw_edit(const std::filesystem::path& dir, const std::vector<RawEdit>& edits) {
  auto env = lmdb::env::create();
  env.set_max_dbs(16);
  env.open(dir.c_str(), MDB_NOTLS, 0644);
  auto txn = lmdb::txn::begin(env.handle());
  for (const auto& e : edits) {
    MDB_dbi dbi;
    lmdb::dbi_open(txn.handle(), e.db.c_str(), 0, &dbi);
    MDB_val k{e.key.size(), const_cast<char*>(e.key.data())};
    if (e.drop) {
      REQUIRE(mdb_drop(txn.handle(), dbi, 1) == 0);
    } else if (e.value) {
      MDB_val v{e.value->size(), const_cast<char*>(e.value->data())};
      lmdb::dbi_put(txn.handle(), dbi, &k, &v, 0);
    } else {
      lmdb::dbi_del(txn.handle(), dbi, &k, nullptr);
    }
  }
  txn.commit();
  env.close();
}

}  // namespace

TEST_CASE("a fresh store gives seed 000's table in reservation order") {
  TempDir dir;
  Store store(dir.path());
  const std::vector<std::pair<int, int>> expected = {{5001, 8001}, {5003, 8003}, {5005, 8005},
                                                     {5007, 8007}, {5009, 8009}, {5011, 8011}};
  std::size_t i = 0;
  for (const char* model :
       {"anthropic_claude-4.5-haiku-20251001", "openai_gpt-5-mini-2025-08-07"}) {
    for (std::uint32_t n = 1; n <= 3; ++n) {
      const auto result = store.reserve(req(model, n));
      CHECK(result.created);
      CHECK(ports_of(result.reservation) == expected[i]);
      CHECK(result.reservation.slot == i);
      ++i;
    }
  }
  CHECK(store.get({"anthropic_claude-4.5-haiku-20251001", 1})->project ==
        "anthropic-claude-4-5-haiku-20251001-app1");
  CHECK(store.get({"openai_gpt-5-mini-2025-08-07", 1})->project ==
        "openai-gpt-5-mini-2025-08-07-app1");
  require_unique(store);
}

TEST_CASE("reserving an existing key returns it unchanged") {
  TempDir dir;
  Store store(dir.path());
  const auto first = store.reserve(req("m", 1)).reservation;
  store.reserve(req("m", 2));
  const auto again = store.reserve(req("m", 1));
  CHECK_FALSE(again.created);
  CHECK(to_json(again.reservation) == to_json(first));
  // Reopening the store (a new process) gives the same answer.
  Store reopened(dir.path());
  CHECK(to_json(reopened.reserve(req("m", 1)).reservation) == to_json(first));
  // Asking for it with the ports it has is fine; with others, or another pool, is a conflict.
  CHECK_FALSE(store.reserve(req("m", 1, "apps", {{"backend", 5001}})).created);
  CHECK_THROWS_WITH(store.reserve(req("m", 1, "", {{"backend", 5101}})),
                    Catch::Contains("already reserved with backend=5001, not 5101"));
  CHECK_THROWS_WITH(store.reserve(req("m", 1, "other")),
                    Catch::Contains("already reserved in pool 'apps', not 'other'"));
}

TEST_CASE("released slots are reused lowest first") {
  TempDir dir;
  Store store(dir.path());
  for (std::uint32_t n = 1; n <= 6; ++n) {
    store.reserve(req("m", n));
  }
  store.release({"m", 4});  // slot 3
  store.release({"m", 2});  // slot 1
  CHECK(ports_of(store.reserve(req("n", 1)).reservation) == std::pair<int, int>{5003, 8003});
  CHECK(ports_of(store.reserve(req("n", 2)).reservation) == std::pair<int, int>{5007, 8007});
  CHECK(ports_of(store.reserve(req("n", 3)).reservation) == std::pair<int, int>{5013, 8013});
  // Releasing the top slots lowers the high-water mark past the holes below them.
  store.release({"n", 3});
  store.release({"m", 6});
  store.release({"m", 5});
  const auto stats = store.stats().at(0);
  CHECK(stats.highest_slot == 3u);
  CHECK(stats.holes == 0);
  CHECK(stats.slots_held == 4);
  CHECK(ports_of(store.reserve(req("n", 4)).reservation) == std::pair<int, int>{5009, 8009});
  require_unique(store);
}

TEST_CASE("release frees ports and name, and a model can be released whole") {
  TempDir dir;
  Store store(dir.path());
  store.reserve(req("a.b", 1));
  const auto second = store.reserve(req("a_b", 1)).reservation;  // seed name taken by a.b
  CHECK(second.project != "a-b-app1");
  const auto released = store.release({"a.b", 1});
  CHECK(released.project == "a-b-app1");
  CHECK_FALSE(store.get({"a.b", 1}));
  // The name and the ports are free again.
  CHECK(store.reserve(req("a-b", 1)).reservation.project == "a-b-app1");
  CHECK_THROWS_WITH(store.release({"a.b", 1}), Catch::Contains("'a.b' app 1 is not reserved"));

  for (std::uint32_t n = 1; n <= 5; ++n) {
    store.reserve(req("many", n));
  }
  CHECK(store.release_model("many").size() == 5);
  CHECK(store.list(AppFilter{std::string("many")}).empty());
  CHECK_THROWS_WITH(store.release_model("many"), Catch::Contains("holds no reservation"));
  require_unique(store);
}

TEST_CASE("no port is held twice across roles and pools") {
  TempDir dir;
  Store store(dir.path());
  // A pool whose frontend range would run into the default backend range if uniqueness were
  // checked per column: overlapping pools are refused outright.
  CHECK_THROWS_WITH(store.set_pool({"clash", {{"web", 5001, 5100}}, 1}, false),
                    Catch::Contains("overlaps pool 'apps'"));
  store.set_pool({"side", {{"web", 12001, 12100}, {"api", 12101, 12200}}, 1}, false);
  // A pin in the default pool onto a port of the side pool's first slot: allocation there must
  // step over it.
  store.reserve(req("pinned", 1, "", {{"backend", 12001}, {"frontend", 12101}}));
  const auto side = store.reserve(req("s", 1, "side")).reservation;
  CHECK(*side.port("web") == 12002);
  CHECK(*side.port("api") == 12102);
  // A pin on the default pool's next backend port, in the frontend role: the same request's
  // backend must not land on it, and later allocations step over slot 0.
  const auto x = store.reserve(req("x", 1, "", {{"frontend", 5001}})).reservation;
  CHECK(ports_of(x) == std::pair<int, int>{5003, 5001});
  const auto next = store.reserve(req("y", 1)).reservation;
  CHECK(ports_of(next) == std::pair<int, int>{5005, 8005});
  require_unique(store);
}

TEST_CASE("pins") {
  TempDir dir;
  Store store(dir.path());
  SECTION("pins landing exactly on a free slot hold it") {
    const auto r =
        store.reserve(req("p", 1, "", {{"backend", 5005}, {"frontend", 8005}})).reservation;
    CHECK(r.slot == 2u);
    CHECK(r.pinned.empty());
    // Slots 0 and 1 are holes, filled first; slot 2 is skipped.
    CHECK(store.reserve(req("a", 1)).reservation.slot == 0u);
    CHECK(store.reserve(req("a", 2)).reservation.slot == 1u);
    CHECK(store.reserve(req("a", 3)).reservation.slot == 3u);
    require_unique(store);
  }
  SECTION("pins off the slot grid hold no slot") {
    const auto r =
        store.reserve(req("p", 1, "", {{"backend", 20000}, {"frontend", 20001}})).reservation;
    CHECK_FALSE(r.slot);
    CHECK(r.pinned == std::vector<std::string>{"backend", "frontend"});
    CHECK(store.reserve(req("a", 1)).reservation.slot == 0u);
    require_unique(store);
  }
  SECTION("a partial pin takes a slot for the other ports") {
    const auto r = store.reserve(req("p", 1, "", {{"backend", 20000}})).reservation;
    CHECK(r.slot == 0u);
    CHECK(ports_of(r) == std::pair<int, int>{20000, 8001});
    CHECK(r.pinned == std::vector<std::string>{"backend"});
    require_unique(store);
  }
  SECTION("a pin on a slot's port blocks that slot until it is released") {
    store.reserve(req("p", 1, "", {{"backend", 5001}, {"frontend", 20001}}));
    CHECK(store.reserve(req("a", 1)).reservation.slot == 1u);
    store.release({"p", 1});
    CHECK(store.reserve(req("a", 2)).reservation.slot == 0u);
    require_unique(store);
  }
  SECTION("a pin held by another owner is a conflict naming the owner") {
    store.reserve(req("owner/model", 3));
    CHECK_THROWS_WITH(
        store.reserve(req("p", 1, "", {{"frontend", 8001}})),
        "port 8001 (frontend) for 'p' app 1 is held by 'owner/model' app 3 (frontend)");
    CHECK(kind_of([&] {
            store.reserve(req("p", 1, "", {{"frontend", 8001}}));
          }) == ErrorKind::conflict);
    CHECK_FALSE(store.get({"p", 1}));
  }
  SECTION("bad pins are usage errors") {
    CHECK_THROWS_WITH(store.reserve(req("p", 1, "", {{"db", 20000}})),
                      "pool 'apps' has no port 'db'; its ports: backend, frontend");
    CHECK_THROWS_WITH(store.reserve(req("p", 1, "", {{"backend", 5432}})),
                      Catch::Contains("port 5432 (backend) is excluded"));
    CHECK_THROWS_WITH(store.reserve(req("p", 1, "", {{"backend", 20000}, {"frontend", 20000}})),
                      Catch::Contains("port 20000 is pinned twice"));
    CHECK(kind_of([&] { store.reserve(req("p", 1, "", {{"db", 1}})); }) == ErrorKind::usage);
    CHECK(store.list().empty());
  }
}

TEST_CASE("project names: collisions, length, odd characters") {
  TempDir dir;
  Store store(dir.path());
  const auto a = store.reserve(req("Org/Model.1", 1)).reservation;
  const auto b = store.reserve(req("org_model_1", 1)).reservation;
  const auto c = store.reserve(req("org-model-1", 1)).reservation;
  CHECK(a.project == "org-model-1-app1");
  CHECK(b.project == project_candidate({"org_model_1", 1}, 1));
  CHECK(c.project == project_candidate({"org-model-1", 1}, 1));
  CHECK(b.project != c.project);

  const std::string long_model = "vendor/" + std::string(120, 'q') + "-instruct";
  const auto l = store.reserve(req(long_model, 999999)).reservation;
  CHECK(l.project.size() <= 63);
  CHECK(is_valid_project_name(l.project));
  CHECK(l.project.substr(l.project.size() - 10) == "-app999999");

  const auto u = store.reserve(req("模型/🚀", 2)).reservation;
  CHECK(u.project == "model-app2");
  const auto v = store.reserve(req("другая", 2)).reservation;  // also slugs to "model"
  CHECK(v.project == project_candidate({"другая", 2}, 1));
  require_unique(store);

  // Names are deterministic: the same reservations in the same order give the same names.
  TempDir dir2;
  Store again(dir2.path());
  for (const char* m : {"Org/Model.1", "org_model_1", "org-model-1"}) {
    again.reserve(req(m, 1));
  }
  CHECK(again.get({"org_model_1", 1})->project == b.project);
}

TEST_CASE("batches are all or nothing") {
  TempDir dir;
  Store store(dir.path());
  store.reserve(req("keep", 1));
  std::vector<BatchOp> ops;
  for (std::uint32_t n = 1; n <= 50; ++n) {
    ops.push_back({BatchOp::Kind::reserve, req("batch", n)});
  }
  ops.push_back({BatchOp::Kind::release, req("keep", 1)});
  const auto results = store.apply(ops);
  CHECK(results.size() == 51);
  CHECK(store.list(AppFilter{std::string("batch")}).size() == 50);
  CHECK_FALSE(store.get({"keep", 1}));

  const auto before = store.export_json();
  std::vector<BatchOp> bad = {{BatchOp::Kind::reserve, req("new", 1)},
                              {BatchOp::Kind::release, req("batch", 3)},
                              {BatchOp::Kind::reserve, req("new", 2, "", {{"backend", 5001}})}};
  CHECK_THROWS_WITH(store.apply(bad),
                    Catch::StartsWith("batch entry 3: port 5001 (backend) for 'new' app 2 is held "
                                      "by 'new' app 1 (backend)") &&
                        Catch::EndsWith("(nothing in the batch was applied)"));
  CHECK(store.export_json() == before);
  require_unique(store);
}

TEST_CASE("a batch stores each pool's high-water mark once, where its allocations end") {
  TempDir dir;
  {
    Store store(dir.path());
    std::vector<BatchOp> ops;
    for (std::uint32_t n = 1; n <= 5; ++n) {
      ops.push_back({BatchOp::Kind::reserve, req("batch", n)});
    }
    ops.push_back({BatchOp::Kind::release, req("batch", 5)});  // the mark comes down again
    store.apply(ops);
    CHECK(store.preview({{BatchOp::Kind::reserve, req("dry", 1)}}).at(0).reservation.slot == 4);
  }
  Store store(dir.path());  // a new transaction reads the mark from the store
  CHECK(store.reserve(req("after", 1)).reservation.slot == 4);
  CHECK(store.check().empty());
}

TEST_CASE("put_rising puts keys in any order; put_new keeps a key that is there") {
  TempDir dir;
  Env env(dir.path(), std::size_t(4) << 20);
  env.write([](Txn& t) {
    for (const char* k : {"b", "d", "a", "d", "c"}) {  // after, after, before, last again, inside
      t.put_rising(Db::ports, k, std::string("v") + k);
    }
    CHECK(t.put_new(Db::names, "x", "first"));
    CHECK_FALSE(t.put_new(Db::names, "x", "second"));
    return true;
  });
  env.read([](const Txn& t) {
    std::string seen;
    t.scan(Db::ports, "", "", [&](std::string_view k, std::string_view v) {
      seen += std::string(k) + "=" + std::string(v) + " ";
      return true;
    });
    CHECK(seen == "a=va b=vb c=vc d=vd ");
    CHECK(t.get(Db::names, "x") == "first");
    return true;
  });
}

TEST_CASE("a full pool is a clear error, never a fallback") {
  TempDir dir;
  Store store(dir.path());
  store.set_pool({"tiny", {{"web", 20001, 20004}}, 1}, false);
  store.set_excluded({20002});
  CHECK(store.reserve(req("t", 1, "tiny")).reservation.port("web") == 20001);
  CHECK(store.reserve(req("t", 2, "tiny")).reservation.port("web") == 20003);
  store.reserve(req("pin", 1, "", {{"backend", 20004}}));
  CHECK_THROWS_WITH(store.reserve(req("t", 3, "tiny")),
                    Catch::Contains("pool 'tiny' is full: all 4 slots are held or blocked"));
  CHECK(kind_of([&] { store.reserve(req("t", 3, "tiny")); }) == ErrorKind::runtime);
  CHECK_FALSE(store.get({"t", 3}));
  store.release({"pin", 1});
  // Free now: 20004 alone (20002 is excluded, a hole below the mark; 20001 and 20003 held).
  const auto tiny = [&] {
    const auto all = store.stats();
    return *std::find_if(all.begin(), all.end(),
                         [](const PoolStats& s) { return s.pool == "tiny"; });
  };
  CHECK(tiny().free == 1);
  CHECK(tiny().slots_held == 2);
  CHECK(tiny().holes == 1);
  CHECK(tiny().held == 2);
  CHECK(store.reserve(req("t", 3, "tiny")).reservation.port("web") == 20004);
  for (const auto& s : store.stats()) {
    if (s.pool == "tiny") {
      CHECK(s.free == 0);
    }
  }
  require_unique(store);
}

TEST_CASE("excluded ports are never handed out") {
  TempDir dir;
  Store store(dir.path());
  store.set_pool({"wide", {{"web", 11201, 11221}}, 1}, false);
  store.set_excluded({11211, 11215});
  for (std::uint32_t n = 1; n <= 19; ++n) {
    const auto port = *store.reserve(req("w", n, "wide")).reservation.port("web");
    CHECK(port != 11211);
    CHECK(port != 11215);
  }
  try {
    store.set_excluded({11201});
    FAIL("excluding a held port should fail");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::conflict);
    CHECK(e.details() == std::vector<std::string>{"port 11201 is held by 'w' app 1 (web)"});
  }
  CHECK(store.excluded() == std::set<std::uint16_t>{11211, 11215});
  require_unique(store);

  // In a fresh store, the default pool's slot 221 (frontend 8443, excluded by default) is
  // stepped over.
  TempDir fresh_dir;
  Store fresh(fresh_dir.path());
  std::vector<BatchOp> ops;
  for (std::uint32_t n = 1; n <= 230; ++n) {
    ops.push_back({BatchOp::Kind::reserve, req("d", n)});
  }
  for (const auto& r : fresh.apply(ops)) {
    CHECK(r.reservation.slot != 221u);
    CHECK(*r.reservation.port("frontend") != 8443);
  }
  CHECK(fresh.get({"d", 222})->slot == 222u);
  CHECK(fresh.stats().at(0).holes == 1);
  require_unique(fresh);
}

TEST_CASE("pool changes that would strand a reservation are refused") {
  TempDir dir;
  Store store(dir.path());
  for (std::uint32_t n = 1; n <= 3; ++n) {
    store.reserve(req("m", n));
  }
  // Widening keeps every slot's ports: allowed.
  store.set_pool({"apps", {{"backend", 5001, 7999}, {"frontend", 8001, 11999}}, 2}, false);
  // Moving the start, changing the step, shrinking below slot 2 or renaming: refused.
  for (const Pool& p : {Pool{"apps", {{"backend", 5101, 7999}, {"frontend", 8001, 10999}}, 2},
                        Pool{"apps", {{"backend", 5001, 7999}, {"frontend", 8001, 10999}}, 3},
                        Pool{"apps", {{"backend", 5001, 5003}, {"frontend", 8001, 10999}}, 2},
                        Pool{"apps", {{"api", 5001, 7999}, {"web", 8001, 10999}}, 2}}) {
    CHECK(kind_of([&] { store.set_pool(p, false); }) == ErrorKind::conflict);
  }
  CHECK(store.pools().at(0).ports.at(1).last == 11999);
  CHECK(kind_of([&] { store.remove_pool("apps"); }) == ErrorKind::conflict);
  CHECK_THROWS_WITH(store.remove_pool("nope"), Catch::Contains("no pool 'nope'"));
  store.release_model("m");
  store.remove_pool("apps");
  CHECK_THROWS_WITH(store.reserve(req("m", 1)), Catch::Contains("no pool 'apps' in this store"));
}

TEST_CASE("import is all or nothing and lists every conflict; export round-trips") {
  TempDir dir;
  Store store(dir.path());
  store.set_pool({"side", {{"web", 12001, 12100}}, 1}, false);
  store.reserve(req("a", 1));
  store.reserve(req("a.b", 1));
  store.reserve(req("a_b", 1));
  store.reserve(req("s", 1, "side"));
  store.reserve(req("pin", 1, "", {{"backend", 20000}}));
  const auto exported = store.export_json();

  std::vector<Pool> pools;
  for (const auto& p : exported["pools"]) {
    pools.push_back(pool_from_json(p, "export"));
  }
  std::vector<ReserveRequest> requests;
  for (const auto& e : exported["reservations"]) {
    ReserveRequest r;
    r.key = {e["model"], e["app"]};
    r.pool = e["pool"];
    for (const auto& [name, port] : e["ports"].items()) {
      r.pins[name] = port;
    }
    r.project = e["project"];
    requests.push_back(r);
  }
  TempDir dir2;
  Store copy(dir2.path());
  copy.import(pools, requests);
  CHECK(copy.export_json().dump() == exported.dump());
  require_unique(copy);
  CHECK(copy.check().empty());  // the high-water marks, put once, are where the slots end
  // Importing again changes nothing.
  for (const auto& r : copy.import(pools, requests)) {
    CHECK_FALSE(r.created);
  }

  // Conflicts: every one is listed, nothing lands.
  TempDir dir3;
  Store other(dir3.path());
  other.reserve(req("x", 1));  // holds 5001/8001 and the name x-app1
  std::vector<ReserveRequest> clash = {
      requests[0], req("y", 1, "apps", {{"backend", 5001}, {"frontend", 30001}}),
      req("z", 1, "apps", {{"backend", 20002}, {"frontend", 20002}})};
  const auto before = other.export_json();
  try {
    other.import({}, clash);
    FAIL("import should have failed");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::conflict);
    REQUIRE(e.details().size() == 3);
    CHECK_THAT(e.details()[0], Catch::Contains("entry 1 ('a' app 1)") &&
                                   Catch::Contains("held by 'x' app 1 (backend)"));
    CHECK_THAT(e.details()[1], Catch::Contains("entry 2 ('y' app 1)") &&
                                   Catch::Contains("held by 'x' app 1 (backend)"));
    CHECK_THAT(e.details()[2], Catch::Contains("entry 3") && Catch::Contains("pinned twice"));
  }
  CHECK(other.export_json() == before);
}

TEST_CASE("check reports a corrupted store") {
  TempDir dir;
  {
    Store store(dir.path());
    store.reserve(req("a", 1));
    store.reserve(req("b", 1));
    REQUIRE(store.check().empty());
  }
  // Write a stray index entry straight into LMDB: port 5003 claimed by b, which holds 5003
  // already -- now point port 9999 at 'a', and drop b's name from the names index.
  raw_edit(dir.path(), {{"ports", keys::port_key(9999), keys::app_key({"a", 1})},
                        {"names", "b-app1", std::nullopt}});
  Store store(dir.path());
  const auto problems = store.check();
  REQUIRE(problems.size() == 2);
  CHECK_THAT(problems[0], Catch::Contains("'b' app 1: project name 'b-app1' is not indexed"));
  CHECK_THAT(problems[1],
             Catch::Contains("port 9999 is indexed to 'a' app 1, which does not hold it"));
}

TEST_CASE("check lists malformed records before the other records' findings") {
  TempDir dir;
  {
    Store store(dir.path());
    store.reserve(req("a", 1));
  }
  // A record after 'a' that is not JSON, and a's name gone from the names index.
  raw_edit(dir.path(), {{"apps", keys::app_key({"z", 1}), std::string("not json")},
                        {"names", "a-app1", std::nullopt}});
  std::size_t count = 99;
  const auto problems = Store(dir.path()).check(count);
  REQUIRE(problems.size() == 2);
  CHECK_THAT(problems[0], Catch::Contains("'z' app 1"));
  CHECK_THAT(problems[1], Catch::Contains("'a' app 1: project name 'a-app1' is not indexed"));
  CHECK(count == 1);
}

TEST_CASE("check finds index entries that point at an app holding something else") {
  TempDir dir;
  std::uint16_t b_backend = 0;
  std::size_t count = 99;
  {
    Store store(dir.path());
    store.reserve(req("a", 1));
    b_backend = static_cast<std::uint16_t>(ports_of(store.reserve(req("b", 1)).reservation).first);
    REQUIRE(store.check(count).empty());
    CHECK(count == 2);
  }
  // b's backend port, a's name and slot 1 (b's) of pool apps, each pointed at the other app.
  raw_edit(dir.path(), {{"ports", keys::port_key(b_backend), keys::app_key({"a", 1})},
                        {"names", "a-app1", keys::app_key({"b", 1})},
                        {"slots", keys::slot_key("apps", 1), keys::app_key({"a", 1})}});
  const auto problems = Store(dir.path()).check(count);
  CHECK(count == 2);
  CHECK(problems.size() == 6);  // each entry, and each app's own view of it (held twice, ...)
  const auto found = [&](const std::string& text) {
    return std::any_of(problems.begin(), problems.end(),
                       [&](const std::string& p) { return p.find(text) != std::string::npos; });
  };
  CHECK(found("port " + std::to_string(b_backend) +
              " is indexed to 'a' app 1, which does not hold it"));
  CHECK(found("project name 'a-app1' is indexed to 'b' app 1, which does not hold it"));
  CHECK(found("slot 1 of pool 'apps' is indexed to 'a' app 1, which does not hold it"));
}

TEST_CASE("a store written by a newer berth is refused") {
  TempDir dir;
  { Store store(dir.path()); }
  raw_edit(dir.path(), {{"meta", "schema", std::string("\0\0\0\4", 4)}});
  CHECK_THROWS_WITH(Store(dir.path()), Catch::Contains("has schema version 4, written by a newer "
                                                       "berth; this berth reads up to 3"));
}

TEST_CASE("a store that is not an LMDB folder is a clear error") {
  TempDir dir;
  const auto file = dir.path() / "file";
  { std::ofstream(file) << "x"; }
  CHECK_THROWS_WITH(Store(file), Catch::Contains("is not a folder"));
}

TEST_CASE("the default map holds a large batch: its transaction runs once") {
  TempDir dir;
  Store store(dir.path());
  store.set_pool({"wide", {{"web", 11001, 31000}}, 1}, false);
  const std::size_t initial = store.map_size();
  std::vector<BatchOp> ops;
  for (std::uint32_t n = 1; n <= 15000; ++n) {
    ops.push_back(
        {BatchOp::Kind::reserve, req("a-model-with-a-long-name/for-bigger-records", n, "wide")});
  }
  store.apply(ops);
  CHECK(store.list().size() == 15000);
  // Past the 4 MiB map berth once started with, which a batch filled and then ran again in.
  CHECK(store.use().used > (std::size_t(4) << 20));
  CHECK(store.map_size() == initial);
}

TEST_CASE("a full map grows and the transaction is retried") {
  TempDir dir;
  Store store(dir.path(), StoreOptions{64 * 1024});
  const std::size_t initial = store.map_size();
  std::vector<BatchOp> ops;
  for (std::uint32_t n = 1; n <= 1400; ++n) {
    ops.push_back({BatchOp::Kind::reserve, req("a-model-with-a-long-name/for-bigger-records", n)});
  }
  store.apply(ops);
  CHECK(store.map_size() > initial);
  CHECK(store.list().size() == 1400);
  // Single transactions past the new size grow it again.
  store.set_pool({"wide", {{"web", 11001, 31000}}, 1}, false);
  for (std::uint32_t n = 1; n <= 300; ++n) {
    store.reserve(req("other-model-with-another-long-name", n, "wide"));
  }
  CHECK(store.list().size() == 1700);
  require_unique(store);
  // Another process (here: another Store on the same folder) sees the grown map.
  Store reader(dir.path(), StoreOptions{64 * 1024});
  CHECK(reader.list().size() == 1700);
}

TEST_CASE("a store that lost its schema key is refused, never reset") {
  TempDir dir;
  const auto path = dir.path() / "store";
  {
    Store store(path);
    Pool wide = Store::default_pool();
    wide.ports[0].last = 7999;
    wide.ports[1].first = 9001;
    wide.ports[1].last = 12999;
    store.set_pool(wide, false);
    store.reserve(req("m", 1));
  }
  {
    Env env(path, std::size_t(4) << 20);
    env.write([](Txn& t) { return t.del(Db::meta, "schema"); });
  }
  CHECK_THROWS_WITH(Store(path), Catch::Contains("holds data but no schema version"));
  StoreOptions ro;
  ro.read_only = true;
  CHECK_THROWS_WITH(Store(path, ro), Catch::Contains("Nothing was changed"));
  // The pools and the reservation are still there.
  Env env(path, std::size_t(4) << 20);
  CHECK(env.read([](const Txn& t) { return t.get(Db::pools, "apps"); })->find("9001") !=
        std::string::npos);
  CHECK(env.read([](const Txn& t) { return t.count(Db::apps); }) == 1);
}

TEST_CASE("leases: lowest free port, idempotent, never a port a reservation holds") {
  TempDir dir;
  Store store(dir.path());
  setenv("BERTH_NOW", "1000", 1);
  CHECK(store.acquire_lease("a", "", std::nullopt, std::nullopt).port == 32100);
  store.reserve(req("pin", 1, "", {{"backend", 32101}}));
  CHECK(store.acquire_lease("b", "", std::nullopt, std::nullopt).port == 32102);
  setenv("BERTH_NOW", "1500", 1);
  const Lease again = store.acquire_lease("a", "", 60, std::nullopt);
  CHECK(again.port == 32100);
  CHECK(again.last_active == 1500);
  CHECK(again.ttl == 60);
  CHECK_THROWS_WITH(store.reserve(req("m", 1, "", {{"backend", 32100}})),
                    Catch::Contains("is held by lease 'a' (pool 'preview')"));
  setenv("BERTH_NOW", "1559", 1);
  CHECK(store.expire_leases(std::nullopt, false).empty());
  setenv("BERTH_NOW", "1560", 1);
  const auto gone = store.expire_leases(std::nullopt, true);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0].id == "a");
  CHECK(store.leases(std::nullopt).size() == 2);  // a dry run frees nothing
  CHECK(store.expire_leases(std::nullopt, false).size() == 1);
  CHECK(store.acquire_lease("c", "", std::nullopt, std::nullopt).port == 32100);
  CHECK(store.check().empty());
  unsetenv("BERTH_NOW");
}

TEST_CASE("uses: recorded once, refreshed after a day, dropped with the reservation") {
  TempDir dir;
  Store store(dir.path());
  setenv("BERTH_NOW", "1000", 1);
  store.reserve(req("m", 1));
  store.reserve(req("m", 2));
  CHECK(store.uses({"m", 1}).created == 1000);
  CHECK(store.uses({"m", 1}).uses.empty());
  const std::vector<std::pair<AppKey, Use>> uses = {{{"m", 1}, {"app", "/w/m/app1", 0}},
                                                    {{"m", 1}, {"build", "/w/build", 0}},
                                                    {{"m", 2}, {"build", "/w/build", 0}},
                                                    {{"gone", 1}, {"app", "/w/gone", 0}}};
  CHECK(store.record_uses(uses) == 3);  // the unreserved app is skipped
  setenv("BERTH_NOW", "50000", 1);
  CHECK(store.record_uses(uses) == 0);  // seen within a day: nothing written
  {
    // A read-only store stays read-only when nothing is to be written.
    StoreOptions ro;
    ro.read_only = true;
    Store reader(dir.path(), ro);
    CHECK(reader.record_uses(uses) == 0);
  }
  const AppUses one = store.uses({"m", 1});
  REQUIRE(one.uses.size() == 2);
  CHECK(one.uses[0].kind == "app");
  CHECK(one.uses[0].path == "/w/m/app1");
  CHECK(one.uses[0].seen == 1000);
  CHECK(one.uses[1].kind == "build");
  setenv("BERTH_NOW", "87400", 1);
  CHECK(store.record_uses(uses) == 3);  // a day later: refreshed
  CHECK(store.uses({"m", 2}).uses.at(0).seen == 87400);
  {
    StoreOptions ro;
    ro.read_only = true;
    Store reader(dir.path(), ro);
    CHECK(reader.record_uses({{{"m", 2}, {"lock", "/w/berth.lock", 0}}}) == 1);
  }
  CHECK(store.uses({"m", 2}).uses.size() == 2);
  store.release({"m", 1});
  CHECK(store.uses({"m", 1}).uses.empty());
  CHECK(store.uses({"m", 1}).created == 0);
  CHECK(store.all_uses().size() == 1);
  CHECK(store.check().empty());
  unsetenv("BERTH_NOW");
}

TEST_CASE("prune releases what it was shown, keeps an app used meanwhile, frees expired leases") {
  TempDir dir;
  Store store(dir.path());
  setenv("BERTH_NOW", "1000", 1);
  for (std::uint32_t app = 1; app <= 3; ++app) {
    store.reserve(req("m", app));
    store.record_uses({{{"m", app}, {"app", "/w/app" + std::to_string(app), 0}}});
  }
  store.acquire_lease("old", "", 60, std::nullopt);
  setenv("BERTH_NOW", "2000", 1);
  const auto seen = store.all_uses();
  // app 2 is scaffolded somewhere new after prune looked.
  store.record_uses({{{"m", 2}, {"app", "/w/elsewhere", 0}}});
  const PruneResult dry = store.prune(seen, true, true, [](const AppUses&) { return true; });
  CHECK(dry.released.size() == 2);
  CHECK(store.list().size() == 3);  // a dry run changes nothing
  CHECK(store.leases(std::nullopt).size() == 1);
  const PruneResult done = store.prune(seen, true, false, [](const AppUses&) { return true; });
  REQUIRE(done.released.size() == 2);
  CHECK(done.released[0].key.app == 1);
  CHECK(done.released[1].key.app == 3);
  REQUIRE(done.kept.size() == 1);
  CHECK(done.kept[0].app == 2);
  CHECK(done.leases.size() == 1);
  CHECK(store.list().size() == 1);
  CHECK(store.all_uses().at({"m", 2}).uses.size() == 2);
  CHECK(store.check().empty());
  unsetenv("BERTH_NOW");
}

TEST_CASE("prune keeps an app its recheck finds in use again, inside its transaction") {
  TempDir dir;
  Store store(dir.path());
  for (std::uint32_t app = 1; app <= 2; ++app) {
    store.reserve_in_use(req("m", app), {"app", "/w/app" + std::to_string(app), 0});
  }
  const auto seen = store.all_uses();
  // app 1's folder is back (a scaffold wrote it after prune looked, within the day).
  const auto back = [](const AppUses& u) { return u.uses.at(0).path != "/w/app1"; };
  const PruneResult dry = store.prune(seen, false, true, back);
  CHECK(dry.released.size() == 1);
  CHECK(dry.kept.size() == 1);
  const PruneResult done = store.prune(seen, false, false, back);
  REQUIRE(done.released.size() == 1);
  CHECK(done.released[0].key.app == 2);
  REQUIRE(done.kept.size() == 1);
  CHECK(done.kept[0].app == 1);
  CHECK(store.get({"m", 1}).has_value());
  CHECK(!store.get({"m", 2}).has_value());
}

TEST_CASE("reserve_in_use reserves and records the use in one transaction") {
  TempDir dir;
  Store store(dir.path());
  setenv("BERTH_NOW", "1000", 1);
  const ReserveResult first = store.reserve_in_use(req("m", 1), {"app", "/w/a", 0});
  CHECK(first.created);
  REQUIRE(store.uses({"m", 1}).uses.size() == 1);
  CHECK(store.uses({"m", 1}).uses[0].seen == 1000);
  setenv("BERTH_NOW", "2000", 1);  // within the day: the use is left as it is
  const ReserveResult again = store.reserve_in_use(req("m", 1), {"app", "/w/a", 0});
  CHECK(!again.created);
  CHECK(to_json(again.reservation) == to_json(first.reservation));
  CHECK(store.uses({"m", 1}).uses[0].seen == 1000);
  CHECK(store.check().empty());
  unsetenv("BERTH_NOW");
}

TEST_CASE("an app belongs to the project that reserved it; an unowned one is adopted") {
  TempDir dir;
  Store store(dir.path());
  ReserveRequest a = req("m", 1);
  a.owner = "taska";
  CHECK(store.reserve(a).reservation.owner == "taska");
  ReserveRequest b = a;
  b.owner = "taskb";
  CHECK_THROWS_WITH(store.reserve(b), Catch::Matchers::Contains("belongs to project 'taska'"));
  CHECK(store.reserve(req("m", 1)).reservation.owner == "taska");  // no owner asked: no check
  store.reserve(req("m", 2));
  ReserveRequest adopt = req("m", 2);
  adopt.owner = "taskb";
  const ReserveResult adopted = store.reserve(adopt);
  CHECK(adopted.adopted);
  CHECK(!adopted.created);
  CHECK(store.get({"m", 2})->owner == "taskb");
  CHECK(!store.reserve(adopt).adopted);  // the second time it is simply its own
  const auto exported = store.export_json().dump();
  CHECK(exported.find("\"owner\":\"taska\"") != std::string::npos);
  CHECK(store.check().empty());
}

TEST_CASE("an app's port names differ across its own pool and its extra pools") {
  TempDir dir;
  Store store(dir.path());
  // Twice the same extra pool.
  ReserveRequest twice = req("x", 1);
  twice.extra = {"nodeport", "nodeport"};
  CHECK_THROWS_WITH(store.reserve(twice), Catch::Matchers::Contains("is given twice"));
  CHECK(store.list().empty());
  // An extra pool named like an app port: refused at pool set.
  Pool z{"z", {{"backend", 20000, 20010}}, 1};
  z.extra = true;
  CHECK_THROWS_WITH(store.set_pool(z, false),
                    Catch::Matchers::Contains("is already a port name of pool 'apps'"));
  // Two extra pools whose ranges share a name: refused at pool set too.
  Pool y{"y", {{"node", 21000, 21010}}, 1};
  y.extra = true;
  store.reserve([] {
    ReserveRequest r = req("x", 2);
    r.extra = {"nodeport"};
    return r;
  }());
  CHECK_THROWS_WITH(store.set_pool(y, false),
                    Catch::Matchers::Contains("is already a port name of extra pool 'nodeport'"));
  CHECK(store.check().empty());
}

TEST_CASE("a schema 2 store gains the uses database and creation times when opened") {
  TempDir dir;
  setenv("BERTH_NOW", "1000", 1);
  {
    Store store(dir.path());
    store.reserve(req("m", 1));
    store.reserve(req("m", 2));
  }
  // What berth 2 wrote: no uses database, schema 2.
  raw_edit(dir.path(),
           {{"uses", "", std::nullopt, true}, {"meta", "schema", std::string("\0\0\0\2", 4)}});
  setenv("BERTH_NOW", "5000", 1);
  StoreOptions ro;
  ro.read_only = true;  // a reading command never upgrades: an older berth could not read it
  CHECK_THROWS_WITH(Store(dir.path(), ro),
                    Catch::Contains("has schema version 2, from an older berth; this berth "
                                    "upgrades it to 3 at the first command that writes"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "schema-2-backup"));
  Store store(dir.path());
  REQUIRE(store.upgraded());
  CHECK(store.upgraded()->from == 2);
  CHECK(store.upgraded()->backup == dir.path() / "schema-2-backup");
  CHECK(store.schema_version() == 3);
  {
    // The copy is the store as it was: schema 2, its reservations, no uses database.
    auto env = lmdb::env::create();
    env.set_max_dbs(9);
    env.open((dir.path() / "schema-2-backup").c_str(), MDB_NOTLS | MDB_RDONLY, 0644);
    auto txn = lmdb::txn::begin(env.handle(), nullptr, MDB_RDONLY);
    MDB_dbi meta, uses;
    lmdb::dbi_open(txn.handle(), "meta", 0, &meta);
    const std::string key = "schema";
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v;
    REQUIRE(lmdb::dbi_get(txn.handle(), meta, &k, &v));
    CHECK(std::string(static_cast<const char*>(v.mv_data), v.mv_size) ==
          std::string("\0\0\0\2", 4));
    CHECK(mdb_dbi_open(txn.handle(), "uses", 0, &uses) == MDB_NOTFOUND);
  }
  CHECK_FALSE(Store(dir.path()).upgraded());  // once is enough
  CHECK(store.uses({"m", 1}).created == 5000);
  CHECK(store.uses({"m", 2}).created == 5000);
  CHECK(store.check().empty());
  unsetenv("BERTH_NOW");
}

TEST_CASE("check reports use records that belong to no reservation or are malformed") {
  TempDir dir;
  { Store(dir.path()).reserve(req("m", 1)); }
  {
    Env env(dir.path(), std::size_t(4) << 20);
    env.write([](Txn& t) {
      t.put(Db::uses, std::string("ghost\0\0\0\0\1", 10), "{\"created\":1}");
      t.put(Db::uses, std::string("m\0\0\0\0\1\1app\0/x", 13), "nope");
      t.put(Db::uses, std::string("m\0\0\0\0\1\1tent\0/y", 14), "{\"seen\":1}");
      return true;
    });
  }
  const auto problems = Store(dir.path()).check();
  REQUIRE(problems.size() == 3);
  CHECK_THAT(problems[0], Catch::Contains("'ghost' app 1 belongs to no reservation"));
  CHECK_THAT(problems[1], Catch::Contains("(app '/x') is not JSON"));
  CHECK_THAT(problems[2], Catch::Contains("unknown kind 'tent'"));
}

TEST_CASE("extra pools: a NodePort per app beside its own pool's ports") {
  TempDir dir;
  Store store(dir.path());
  ReserveRequest a = req("m", 1);
  a.extra = {"nodeport"};
  const Reservation r1 = store.reserve(a).reservation;  // the nodeport pool is made on first use
  REQUIRE(r1.ports.size() == 3);
  CHECK(r1.ports[2].name == "node");
  CHECK(r1.ports[2].port == 30000);
  CHECK(r1.extra == std::vector<std::string>{"nodeport"});
  // An existing reservation gains its NodePort and keeps every other port.
  const Reservation plain = store.reserve(req("m", 2)).reservation;
  ReserveRequest b = req("m", 2);
  b.extra = {"nodeport"};
  const ReserveResult gained = store.reserve(b);
  CHECK_FALSE(gained.created);
  CHECK(*gained.reservation.port("backend") == *plain.port("backend"));
  CHECK(*gained.reservation.port("node") == 30001);
  CHECK(store.reserve(b).reservation.ports.size() == 3);  // again: unchanged
  // Pins by the range name: in the range, free, not excluded.
  ReserveRequest c = req("m", 3, "", {{"node", 30001}});
  c.extra = {"nodeport"};
  CHECK_THROWS_WITH(store.reserve(c),
                    Catch::Contains("port 30001 (node) for 'm' app 3 is held by 'm' app 2 (node)"));
  c.pins = {{"node", 29000}};
  CHECK_THROWS_WITH(store.reserve(c),
                    Catch::Contains("is not a port of extra pool 'nodeport' (node=30000-32099)"));
  c.pins = {{"node", 30500}};
  CHECK(*store.reserve(c).reservation.port("node") == 30500);
  CHECK(store.list().size() == 3);
  // Never an app's own pool; a pool of another kind is not an extra pool.
  CHECK_THROWS_WITH(store.reserve(req("m", 4, "nodeport")), Catch::Contains("is an extra pool"));
  ReserveRequest d = req("m", 4);
  d.extra = {"apps"};
  CHECK_THROWS_WITH(store.reserve(d), Catch::Contains("pool 'apps' is not an extra pool"));
  // A pool change that would strand a NodePort is refused; the pool cannot be removed.
  Pool narrow{"nodeport", {{"node", 30000, 30100}}, 1};
  narrow.extra = true;
  try {
    store.set_pool(narrow, false);
    FAIL("a change stranding a NodePort was accepted");
  } catch (const Error& err) {
    REQUIRE(err.details().size() == 1);
    CHECK(err.details()[0] == "'m' app 3: node=30500 would be outside the pool");
  }
  CHECK_THROWS_WITH(store.remove_pool("nodeport"), Catch::Contains("holds 3 reservation(s)"));
  const auto stats = store.stats();
  const auto np = std::find_if(stats.begin(), stats.end(),
                               [](const PoolStats& s) { return s.pool == "nodeport"; });
  REQUIRE(np != stats.end());
  CHECK(np->held == 3);
  CHECK(np->free == np->capacity - 3);
  CHECK(store.check().empty());
  // Export and import keep the NodePorts; release frees them.
  const auto exported = store.export_json();
  CHECK(exported["reservations"][0]["extra"] == nlohmann::json::array({"nodeport"}));
  store.release({"m", 2});
  ReserveRequest e = req("z", 1);
  e.extra = {"nodeport"};
  CHECK(*store.reserve(e).reservation.port("node") == 30001);
  CHECK(store.check().empty());
}

TEST_CASE("a store emptied by a large prune opens again") {
  // Pruning thousands of apps in one transaction frees pages it allocated itself; LMDB never
  // writes those, so when they are the highest, data.mdb must be extended over them, or the
  // next open would take the store for a truncated copy.
  TempDir dir;
  {
    Store store(dir.path());
    Pool wide = Store::default_pool();
    wide.name = "wide";
    wide.step = 1;
    wide.ports = {{"backend", 11001, 16000}, {"frontend", 16001, 21000}};
    store.set_pool(wide, false);
    std::vector<BatchOp> ops;
    for (std::uint32_t app = 1; app <= 3000; ++app) {
      ops.push_back({BatchOp::Kind::reserve, req("m" + std::to_string(app % 30), app, "wide")});
    }
    store.apply(ops);
    std::vector<std::pair<AppKey, Use>> uses;
    for (std::uint32_t app = 1; app <= 3000; ++app) {
      uses.push_back({{"m" + std::to_string(app % 30), app}, {"build", "/gone/build", 0}});
    }
    store.record_uses(uses);
    store.prune(store.all_uses(), false, false, [](const AppUses&) { return true; });
  }
  Store again(dir.path());
  CHECK(again.list().empty());
  CHECK(again.check().empty());
  const auto size = std::filesystem::file_size(dir.path() / "data.mdb");
  CHECK(size >= again.use().used);
}

TEST_CASE("namespaces: the same model and number twice, each with its own ports and names") {
  TempDir dir;
  Store store(dir.path());
  const Reservation plain = store.reserve(req("openai/gpt-5-mini", 1)).reservation;
  ReserveRequest in_b = req("openai/gpt-5-mini", 1);
  in_b.key.ns = "task-b";
  const ReserveResult b = store.reserve(in_b);
  CHECK(b.created);
  CHECK(b.reservation.key.ns == "task-b");
  CHECK(b.reservation.project == "task-b-openai-gpt-5-mini-app1");
  CHECK(ports_of(b.reservation) != ports_of(plain));
  CHECK(plain.project == "openai-gpt-5-mini-app1");  // no namespace: the seed's name, as before
  CHECK(describe(b.reservation.key) == "'openai/gpt-5-mini' app 1 in namespace 'task-b'");
  require_unique(store);

  // A long model keeps the whole namespace in its name, and a distinct hash.
  ReserveRequest long_one = req(std::string(200, 'm'), 7);
  long_one.key.ns = "abcdefghijklmnopqrstuvwx";
  const std::string name = store.reserve(long_one).reservation.project;
  CHECK(name.rfind("abcdefghijklmnopqrstuvwx-mmm", 0) == 0);
  CHECK(name.size() <= k_max_project_bytes);
  CHECK(name != store.reserve(req(std::string(200, 'm'), 7)).reservation.project);

  SECTION("filters: a namespace, the empty namespace, a model across namespaces") {
    CHECK(store.list(AppFilter{std::nullopt, std::string("task-b"), std::nullopt}).size() == 1);
    CHECK(store.list(AppFilter{std::nullopt, std::string(), std::nullopt}).size() == 2);
    CHECK(store.list(AppFilter{std::string("openai/gpt-5-mini"), std::nullopt, std::nullopt})
              .size() == 2);
    CHECK(store.list().size() == 4);
  }
  SECTION("release --all of a model stays in its namespace") {
    CHECK(store.release_model("openai/gpt-5-mini", "task-b").size() == 1);
    CHECK(store.get(plain.key));
    CHECK_THROWS_WITH(store.release_model("openai/gpt-5-mini", "task-b"),
                      Catch::Contains("in namespace 'task-b' holds no reservation"));
  }
  SECTION("export carries the namespace only where there is one, and imports back") {
    const auto exported = store.export_json();
    const std::string text = exported.dump();
    CHECK(text.find("\"namespace\":\"task-b\"") != std::string::npos);
    std::size_t count = 0;
    for (std::size_t at = 0; (at = text.find("\"namespace\"", at)) != std::string::npos; ++at) {
      ++count;
    }
    CHECK(count == 2);
    std::vector<ReserveRequest> requests;
    for (const auto& e : exported["reservations"]) {
      ReserveRequest r;
      r.key = {e["model"], e["app"], e.value("namespace", "")};
      r.pool = e["pool"];
      for (const auto& [n, port] : e["ports"].items()) {
        r.pins[n] = port;
      }
      r.project = e["project"];
      requests.push_back(r);
    }
    TempDir dir2;
    Store copy(dir2.path());
    copy.import({}, requests);
    CHECK(copy.export_json() == exported);
  }
  SECTION("a bad namespace is refused, naming it") {
    ReserveRequest bad = req("m", 1);
    for (const std::string ns :
         std::vector<std::string>{"Task", "-a", "a-", "a_b", std::string(25, 'a'), "a b"}) {
      bad.key.ns = ns;
      CHECK_THROWS_WITH(store.reserve(bad), Catch::Contains("namespace '" + ns));
      CHECK(kind_of([&] { store.reserve(bad); }) == ErrorKind::usage);
    }
  }
}

TEST_CASE("records as berth writes them are read without a DOM, and others the checked way") {
  Reservation r;
  r.key = {"m", 7};
  r.pool = "apps";
  r.slot = 4294967295u;
  r.ports = {{"backend", 5001}, {"frontend", 65535}, {"node", 30001}};
  r.pinned = {"frontend"};
  r.project = "m-app7";
  r.extra = {"nodeport"};
  r.owner = "proj";
  const std::string bytes = keys::encode_record(r);
  // Written without a DOM, as the DOM's compact dump writes it.
  nlohmann::json dom = {{"pool", r.pool},       {"slot", *r.slot},  {"pinned", r.pinned},
                        {"project", r.project}, {"extra", r.extra}, {"owner", r.owner}};
  dom["ports"] = nlohmann::json::array();  // pairs, not an object
  for (const auto& p : r.ports) {
    dom["ports"].push_back(nlohmann::json::array({p.name, p.port}));
  }
  CHECK(bytes == dom.dump());
  Reservation odd = r;  // strings dump escapes, and UTF-8
  odd.project = "q\"uote\\back\x01slash";
  odd.owner = "caf\xc3\xa9";
  odd.slot.reset();
  const std::string odd_bytes = keys::encode_record(odd);
  dom["project"] = odd.project;
  dom["owner"] = odd.owner;
  dom["slot"] = nullptr;
  CHECK(odd_bytes == dom.dump());
  CHECK(keys::decode_record(r.key, odd_bytes).project == odd.project);
  const auto fast = keys::decode_canonical_record(r.key, bytes);
  REQUIRE(fast);
  CHECK(keys::encode_record(*fast) == bytes);
  CHECK(fast->slot == r.slot);
  CHECK(fast->ports.size() == 3);
  CHECK(fast->owner == "proj");
  Reservation plain = r;
  plain.slot.reset();
  plain.extra.clear();
  plain.owner.clear();
  plain.pinned.clear();
  const std::string plain_bytes = keys::encode_record(plain);
  REQUIRE(keys::decode_canonical_record(r.key, plain_bytes));
  CHECK(keys::encode_record(*keys::decode_canonical_record(r.key, plain_bytes)) == plain_bytes);
  // Not what berth writes: left to the checked reader, which still reads the valid ones.
  for (const std::string other :
       {std::string("{ \"pinned\":[],\"pool\":\"apps\",\"ports\":[[\"b\",1]],\"project\":\"p\","
                    "\"slot\":0}"),
        std::string("{\"pinned\":[],\"pool\":\"a\\u0070ps\",\"ports\":[[\"b\",1]],\"project\":"
                    "\"p\",\"slot\":0}"),
        std::string("{\"pinned\":[],\"pool\":\"apps\",\"ports\":[[\"b\",1]],\"project\":\"p\","
                    "\"slot\":0,\"x\":1}"),
        std::string("{\"extra\":[],\"pinned\":[],\"pool\":\"apps\",\"ports\":[[\"b\",1]],"
                    "\"project\":\"p\",\"slot\":0}")}) {
    CHECK_FALSE(keys::decode_canonical_record(r.key, other));
  }
  CHECK(keys::decode_record(r.key,
                            "{ \"pinned\":[],\"pool\":\"a\\u0070ps\",\"ports\":[[\"b\","
                            "1]],\"project\":\"p\",\"slot\":0}")
            .pool == "apps");
  for (const std::string bad : {"{\"pinned\":[],\"pool\":\"apps\",\"ports\":[[\"b\",0]],"
                                "\"project\":\"p\",\"slot\":0}",
                                "{\"pinned\":[],\"pool\":\"apps\",\"ports\":[[\"b\",65536]],"
                                "\"project\":\"p\",\"slot\":0}",
                                "{\"pinned\":[],\"pool\":\"apps\",\"ports\":[[\"b\",1]],"
                                "\"project\":\"p\",\"slot\":4294967296}"}) {
    CHECK_FALSE(keys::decode_canonical_record(r.key, bad));
    CHECK_THROWS_AS(keys::decode_record(r.key, bad), Error);
  }
}

TEST_CASE("a current store that lacks a database is refused for reading, mended by a write") {
  TempDir dir;
  { Store(dir.path()).reserve(req("m", 1)); }
  raw_edit(dir.path(), {{"uses", "", std::nullopt, true}});
  StoreOptions ro;
  ro.read_only = true;
  CHECK_THROWS_WITH(Store(dir.path(), ro),
                    Catch::Contains("has schema version 3 but lacks some of berth's databases"));
  Store store(dir.path());  // a writer adds the missing database, empty
  CHECK_FALSE(store.upgraded());
  CHECK(store.get({"m", 1}));
  CHECK(Store(dir.path(), ro).check().empty());
}
