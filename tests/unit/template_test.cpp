#include <catch2/catch.hpp>

#include <fstream>

#include "generator/scaffold.hpp"
#include "generator/template.hpp"
#include "store/error.hpp"
#include "unit/temp_dir.hpp"

using namespace berth;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

Reservation reservation() {
  Reservation r;
  r.key = {"Org/Model \"x\"", 3};
  r.pool = "apps";
  r.slot = 2;
  r.ports = {{"backend", 5005}, {"frontend", 8005}};
  r.project = "org-model-x-app3";
  return r;
}

}  // namespace

TEST_CASE("glob matching") {
  CHECK(glob_match("**", "a/b/c.txt"));
  CHECK(glob_match("*.txt", "c.txt"));
  CHECK_FALSE(glob_match("*.txt", "a/c.txt"));
  CHECK(glob_match("**/*.txt", "c.txt"));
  CHECK(glob_match("**/*.txt", "a/b/c.txt"));
  CHECK(glob_match("a/**", "a/b/c"));
  CHECK_FALSE(glob_match("a/**", "b/a/c"));
  CHECK(glob_match("a/?.sh", "a/x.sh"));
  CHECK_FALSE(glob_match("a/?.sh", "a/xy.sh"));
  CHECK(glob_match("frontend/public/**", "frontend/public/img/logo.png"));
  CHECK_FALSE(glob_match("backend/*", "backend/sub/x"));
}

TEST_CASE("a template folder loads with its manifest") {
  TempDir dir;
  const fs::path t = dir.path() / "tpl";
  write(t / "template.json", R"({"name": "tpl", "ports": ["backend"],
      "variables": {"greeting": {"default": "hi"}},
      "render": ["**"], "copy": ["static/**"], "modes": {"**/*.sh": "0755", "bin/keep.sh": "0700"}})");
  write(t / "files" / "run.sh", "echo {{greeting}} {{backend_port}}");
  write(t / "files" / "bin" / "keep.sh", "x");
  write(t / "files" / "static" / "raw.txt", "{{not_a_key}}");
  write(t / "files" / "{{project_name}}.conf", "model={{model_json}}");
  const Template tmpl = load_template(t.string(), {});
  CHECK(tmpl.name == "tpl");
  REQUIRE(tmpl.files.size() == 4);
  CHECK(tmpl.files[0].path == "bin/keep.sh");
  CHECK(tmpl.files[0].mode == 0700);  // the longer glob wins
  CHECK(tmpl.files[1].path == "run.sh");
  CHECK(tmpl.files[1].mode == 0755);
  CHECK_FALSE(tmpl.files[2].render);
  CHECK(tmpl.files[2].mode == 0644);

  const Context ctx = make_context(reservation(), tmpl, {{"greeting", "hello"}});
  CHECK(ctx.at("model_slug") == "org-model-x");
  CHECK(ctx.at("app_num") == "3");
  CHECK(ctx.at("frontend_port") == "8005");
  CHECK(ctx.at("model_json") == "\"Org/Model \\\"x\\\"\"");
  const auto files = render_template(tmpl, ctx);
  REQUIRE(files.size() == 4);
  CHECK(files[0].path == "bin/keep.sh");
  CHECK(files[1].path == "org-model-x-app3.conf");
  CHECK(files[1].content == "model=\"Org/Model \\\"x\\\"\"");
  CHECK(files[2].content == "echo hello 5005");
  CHECK(files[3].content == "{{not_a_key}}");  // copied verbatim

  CHECK_THROWS_WITH(make_context(reservation(), tmpl, {{"colour", "red"}}),
                    "variable 'colour' is not declared by template 'tpl'; its variables: greeting");
  Reservation no_backend = reservation();
  no_backend.ports = {{"web", 1}};
  CHECK_THROWS_WITH(make_context(no_backend, tmpl, {}),
                    Catch::Contains("template 'tpl' needs port 'backend'"));
}

TEST_CASE("template errors name the problem") {
  TempDir dir;
  const fs::path t = dir.path() / "bad";
  CHECK_THROWS_WITH(load_template("nosuch", {dir.path()}),
                    Catch::Contains("no template 'nosuch' (looked in: " + dir.path().string()));
  write(t / "template.json", "{\"name\": \"bad\", \"colour\": 1}");
  CHECK_THROWS_WITH(load_template(t.string(), {}), Catch::Contains("unknown field 'colour'"));
  write(t / "template.json", "{\"name\": \"bad\", \"render\": [\"*.txt\"]}");
  write(t / "files" / "a.md", "x");
  CHECK_THROWS_WITH(load_template(t.string(), {}),
                    Catch::Contains("'a.md' matches neither \"render\" nor \"copy\""));
  write(t / "template.json", "{\"name\": \"bad\", \"modes\": {\"*\": \"rwx\"}}");
  CHECK_THROWS_WITH(load_template(t.string(), {}), Catch::Contains("is not an octal mode"));
  write(t / "template.json", "{\"name\": \"bad\", \"variables\": {\"v\": {}}}");
  CHECK_THROWS_WITH(load_template(t.string(), {}),
                    Catch::Contains("variable 'v': missing 'default'"));
  write(t / "template.json", "{\"name\": \"bad\"}");
  fs::create_symlink("/etc/hostname", t / "files" / "escape");
  CHECK_THROWS_WITH(load_template(t.string(), {}),
                    Catch::Contains("'escape' is a symlink leading outside the template"));
  fs::remove(t / "files" / "escape");
  fs::create_directories(t / "files" / "real");
  fs::create_directory_symlink(t / "files" / "real", t / "files" / "alias");
  CHECK_THROWS_WITH(
      load_template(t.string(), {}),
      Catch::Contains("'alias' is a symlink to a folder; templates may link only files"));
  fs::remove(t / "files" / "alias");
  fs::remove(t / "files" / "real");
  write(t / "template.json",
        "{\"name\": \"bad\", \"variables\": {\"model\": {\"default\": \"x\"}}}");
  {
    const Template shadow = load_template(t.string(), {});
    CHECK_THROWS_WITH(make_context(reservation(), shadow, {}),
                      Catch::Contains("declares variable 'model', which berth already provides"));
  }
  write(t / "template.json", "{\"name\": \"bad\"}");
  write(t / "files" / "{{dir}}" / "x", "y");
  const Template tmpl = load_template(t.string(), {});
  Context ctx = {{"dir", ".."}};
  CHECK_THROWS_WITH(render_template(tmpl, ctx),
                    Catch::Contains("'../x' holds an empty, '.' or '..'"));
  ctx["dir"] = "/etc";
  CHECK_THROWS_WITH(render_template(tmpl, ctx), Catch::Contains("'/etc/x' is empty or absolute"));
  try {
    render_template(tmpl, {});
    FAIL("render should fail");
  } catch (const Error& e) {
    CHECK(e.details().size() == 1);
    CHECK_THAT(e.details()[0],
               Catch::Contains("{{dir}}/x (file name):1:1: unknown placeholder 'dir'"));
  }
}
