#include <catch2/catch.hpp>

#include <fstream>

#include "generator/app/folder.hpp"
#include "generator/template/template.hpp"
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
  write(t / "template.json", "{\"name\": \"bad\", \"variables\": {\"v\": {\"default\": 5}}}");
  CHECK_THROWS_WITH(load_template(t.string(), {}), Catch::Contains("variable 'v'"));
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

TEST_CASE("binary files: a NUL byte or bytes that are not UTF-8") {
  CHECK_FALSE(is_binary(""));
  CHECK_FALSE(is_binary("plain {{app_num}}\n"));
  CHECK_FALSE(is_binary("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK(is_binary(std::string("a\0b", 3)));
  CHECK(is_binary("\x89PNG"));           // a stray continuation byte
  CHECK(is_binary("\xc3"));              // cut short
  CHECK(is_binary("\xc0\xaf"));          // overlong '/'
  CHECK(is_binary("\xed\xa0\x80"));      // a UTF-16 surrogate
  CHECK(is_binary("\xf4\x90\x80\x80"));  // beyond U+10FFFF
}

TEST_CASE("keys berth fills, and the ports they name") {
  CHECK(classify_key("project_name").berth);
  CHECK(classify_key("PROJECT_NAME").berth);
  CHECK(classify_key("COMPOSE_PROJECT_NAME_json").berth);
  CHECK_FALSE(classify_key("app_title").berth);
  CHECK(classify_key("backend_port").port == std::optional<std::string>("backend"));
  CHECK(classify_key("BACKEND_PORT").port == std::optional<std::string>("backend"));
  CHECK(classify_key("db2_port_json").port == std::optional<std::string>("db2"));
  CHECK_FALSE(classify_key("Backend_PORT").berth);  // neither form
  CHECK_FALSE(classify_key("_port").berth);
}

TEST_CASE("a bare folder is a template: ports and variables from its placeholders") {
  TempDir dir;
  const fs::path t = dir.path() / "legacy";
  write(t / "docker-compose.yml", "ports: [\"{{backend_port|5000}}:{{BACKEND_PORT}}\"]\n");
  write(t / ".env.example", "PROJECT_NAME={{PROJECT_NAME}}\nDB={{db_port}}\nK={{secret|x}}\n");
  write(t / "app.py", "TITLE = {{title_json}}\n");
  write(t / "logo.png", std::string("\x89PNG\0{{zz}}", 10));
  write(t / ".git" / "HEAD", "ref: {{nope}}");
  const Template tmpl = load_template(t.string(), {});
  CHECK(tmpl.bare);
  CHECK(tmpl.name == "legacy");
  CHECK_FALSE(tmpl.manifest());
  CHECK(tmpl.ports == std::vector<std::string>{"backend", "db"});
  REQUIRE(tmpl.variables.count("secret") == 1);
  CHECK_FALSE(tmpl.variables.at("secret").default_value);
  CHECK(tmpl.variables.count("title") == 1);  // {{title_json}}: the JSON form of `title`
  REQUIRE(tmpl.files.size() == 4);            // .git left out
  CHECK(tmpl.files[3].path == "logo.png");
  CHECK(tmpl.files[3].binary);
  CHECK_FALSE(tmpl.files[3].render);

  Reservation r = reservation();
  r.ports.push_back({"db", 6000});
  const auto files = render_template(tmpl, make_context(r, tmpl, {{"title", "T"}}));
  REQUIRE(files.size() == 5);  // .env added
  CHECK(files[0].path == ".env");
  CHECK(files[0].mode == 0600);
  CHECK(files[0].content == "PROJECT_NAME=org-model-x-app3\nDB=6000\nK=x\n");
  CHECK(files[1].mode == 0644);
  CHECK(files[2].content == "TITLE = \"T\"\n");
  CHECK(files[3].content == "ports: [\"5005:5005\"]\n");
  CHECK(files[4].content == std::string("\x89PNG\0{{zz}}", 10));
  const auto set = render_template(tmpl, make_context(r, tmpl, {{"secret", "s"}, {"title", "T"}}));
  CHECK(set[0].content == "PROJECT_NAME=org-model-x-app3\nDB=6000\nK=s\n");
  // Without a value, a key the placeholders use with no default is the usual located error.
  CHECK_THROWS_WITH(render_template(tmpl, make_context(r, tmpl, {})),
                    Catch::Contains("1 placeholder(s) could not be filled"));
}

TEST_CASE("starter files are written when missing and never again") {
  TempDir dir;
  const fs::path app = dir.path() / "app";
  std::vector<OutputFile> files = {{"Dockerfile", "FROM a\n", 0644, false},
                                   {"app.py", "print(1)\n", 0644, true}};
  auto plan = plan_app(app, files, "t", false);
  CHECK(plan.report.written == std::vector<std::string>{"Dockerfile", "app.py"});
  apply_plan(plan);
  CHECK(plan.manifest.count("app.py") == 0);  // never berth's
  files[0].content = "FROM b\n";
  files[1].content = "print(2)\n";
  plan = plan_app(app, files, "t", true);
  CHECK(plan.report.written == std::vector<std::string>{"Dockerfile"});
  CHECK(plan.report.started == std::vector<std::string>{"app.py"});
  apply_plan(plan);
  std::ifstream in(app / "app.py");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text == "print(1)\n");
  // No longer produced: a starter file is not removed either.
  plan = plan_app(app, {files[0]}, "t", true);
  CHECK(plan.removals.empty());
}

TEST_CASE("parts: an app gets the parts it has, and the files for the parts it lacks") {
  TempDir dir;
  const fs::path t = dir.path() / "tpl";
  write(t / "template.json", R"({"name": "p", "ports": ["backend"],
      "parts": {"api": ["api/**"], "web": ["web/**"]},
      "needs": {"web/vite.config.js": {"web/package.json": ["vite"]}}})");
  write(t / "files" / "compose.yml", "api web");
  write(t / "files" / "api" / "main.py", "port {{backend_port}}");
  write(t / "files" / "web" / "vite.config.js", "x");
  write(t / "files" / "web" / "package.json", "{\"devDependencies\": {\"vite\": \"5\"}}");
  write(t / "without" / "web" / "compose.yml", "api only");
  const Template tmpl = load_template(t.string(), {});
  REQUIRE(tmpl.without.count("web") == 1);
  CHECK(tmpl.files[0].part == "api");
  CHECK(tmpl.files[1].part.empty());
  const Context ctx = make_context(reservation(), tmpl, {});
  const auto paths = [](const std::vector<OutputFile>& files) {
    std::vector<std::string> out;
    for (const auto& f : files) {
      out.push_back(f.path + "=" + f.content);
    }
    return out;
  };
  CHECK(paths(render_template(tmpl, ctx, {}, true, std::vector<std::string>{"root", "api"})) ==
        std::vector<std::string>{"api/main.py=port 5005", "compose.yml=api only"});
  CHECK(render_template(tmpl, ctx).size() == 4);  // no parts given: everything
  CHECK_THROWS_WITH(render_template(tmpl, ctx, {}, true, std::vector<std::string>{"gui"}),
                    Catch::Contains("has no part 'gui'; its parts: root, api, web"));

  // `needs`: met by the package.json the scaffold writes; unmet by the app's own.
  const fs::path app = dir.path() / "app";
  auto files = render_template(tmpl, ctx);
  CHECK(hold_back_unmet(tmpl, app, files).empty());
  write(app / "web" / "package.json", "{\"dependencies\": {\"react\": \"18\"}}");
  files = render_template(tmpl, ctx);
  const auto held = hold_back_unmet(tmpl, app, files);
  REQUIRE(held.size() == 1);
  CHECK(held[0].first == "web/vite.config.js");
  CHECK(held[0].second.find("needs 'vite' in web/package.json") == 0);
  CHECK(files.size() == 3);
  // A file the app has already is owned like any other: never held back.
  write(app / "web" / "vite.config.js", "mine");
  files = render_template(tmpl, ctx);
  CHECK(hold_back_unmet(tmpl, app, files).empty());

  write(t / "template.json", R"({"name": "p", "needs": {"a": {"b": "vite"}}})");
  CHECK_THROWS_WITH(load_template(t.string(), {}), Catch::Contains("needs 'a'"));
  write(t / "template.json", R"({"name": "p", "parts": {"a": []}})");
  CHECK_THROWS_WITH(load_template(t.string(), {}), Catch::Contains("non-empty list of globs"));
  write(t / "template.json", R"({"name": "p", "parts": {"root": ["*"]}})");
  CHECK_THROWS_WITH(load_template(t.string(), {}), Catch::Contains("not named \"root\""));
  write(t / "template.json", R"({"name": "p", "parts": {"a": ["**"], "b": ["api/**"]}})");
  CHECK_THROWS_WITH(load_template(t.string(), {}), Catch::Contains("is in two parts"));
}

TEST_CASE("adopting a folder: someone else's files replaced only with a copy kept") {
  TempDir dir;
  const fs::path app = dir.path() / "app";
  write(app / "compose.yml", "theirs");
  write(app / "other.yml", "theirs too");
  write(app / "other.yml.berth-orig", "an older copy");
  const std::vector<OutputFile> files = {{"compose.yml", "ours", 0644, false},
                                         {"other.yml", "ours", 0644, false}};
  auto plan = plan_app(app, files, "t", true, false);
  CHECK(plan.writes.empty());  // --force alone never touches them
  plan = plan_app(app, files, "t", true, true);
  CHECK(plan.backups == std::vector<std::string>{"compose.yml"});
  REQUIRE(plan.report.kept.size() == 1);
  CHECK(plan.report.kept[0].first == "other.yml");
  apply_plan(plan);
  const auto read = [](const fs::path& p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  CHECK(read(app / "compose.yml") == "ours");
  CHECK(read(app / "compose.yml.berth-orig") == "theirs");
  CHECK(read(app / "other.yml") == "theirs too");
  CHECK(read(app / "other.yml.berth-orig") == "an older copy");
}

TEST_CASE("variants: files and extra pools chosen by a variable's value") {
  TempDir dir;
  const fs::path t = dir.path() / "tpl";
  write(t / "template.json", R"({"name": "v", "ports": ["backend"],
      "variables": {"kind": {"default": "plain"}},
      "parts": {"web": ["web/**"]},
      "variants": {"np": {"when": {"kind": "NodePort"}, "extra": ["nodeport"]}}})");
  write(t / "files" / "svc.yaml", "type {{kind}}");
  write(t / "files" / "web" / "page.html", "page");
  write(t / "variants" / "np" / "svc.yaml", "node {{node_port}}");
  write(t / "variants" / "np" / "web" / "extra.html", "extra");
  const Template tmpl = load_template(t.string(), {});
  REQUIRE(tmpl.variants.count("np") == 1);
  CHECK(tmpl.files.size() == 2);  // variants/ is not among the template's own files
  CHECK(extra_pools(tmpl, {}).empty());
  CHECK(extra_pools(tmpl, {{"kind", "NodePort"}}) == std::vector<std::string>{"nodeport"});
  const auto paths = [](const std::vector<OutputFile>& files) {
    std::vector<std::string> out;
    for (const auto& f : files) {
      out.push_back(f.path + "=" + f.content);
    }
    return out;
  };
  CHECK(paths(render_template(tmpl, make_context(reservation(), tmpl, {}))) ==
        std::vector<std::string>{"svc.yaml=type plain", "web/page.html=page"});
  Reservation np = reservation();
  np.ports.push_back({"node", 30007});
  np.extra = {"nodeport"};
  const Context ctx = make_context(np, tmpl, {{"kind", "NodePort"}});
  CHECK(paths(render_template(tmpl, ctx)) == std::vector<std::string>{"svc.yaml=node 30007",
                                                                      "web/extra.html=extra",
                                                                      "web/page.html=page"});
  // A variant's file in a part the app lacks is left out.
  CHECK(paths(render_template(tmpl, ctx, {}, true, std::vector<std::string>{"root"})) ==
        std::vector<std::string>{"svc.yaml=node 30007"});
  write(t / "template.json", R"({"name": "v", "variables": {"kind": {}},
      "variants": {"np": {"when": {"colour": "red"}}}})");
  CHECK_THROWS_WITH(load_template(t.string(), {}),
                    Catch::Contains("\"when\" names 'colour', which is not a declared variable"));
}

// PatternTraits only makes two locale look-ups cheap: every pattern matches what std::regex
// matches, character classes and equivalence classes included.
TEST_CASE("template patterns match exactly what std::regex matches") {
  const std::vector<std::string> patterns = {
      "[a-z0-9]([a-z0-9.-]*[a-z0-9])?",
      "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}",
      "[[:alpha:]][[:alnum:]_]*",
      "\\w+\\d?\\s*",
      "[^a-c]+",
      "[[=a=]]x",
      "[[:upper:][:digit:]]+",
      "ClusterIP|NodePort|LoadBalancer",
  };
  const std::vector<std::string> values = {
      "",    "a", "A",  "ax", "Ax",   "abc", "xyz",      "a-b.c",    "A9",  "_a",
      "a b", "9", "9 ", "-a", "z_1 ", "ÿ",   "NodePort", "nodeport", "a\n", "Z"};
  for (const auto& p : patterns) {
    const std::regex standard(p, std::regex::ECMAScript);
    const Pattern ours(p, std::regex::ECMAScript);
    for (const auto& v : values) {
      INFO(p << " against '" << v << "'");
      CHECK(std::regex_match(v, ours) == std::regex_match(v, standard));
    }
  }
}

TEST_CASE("template patterns: compiled once when shared, refused when invalid, defaults checked") {
  TempDir dir;
  const fs::path t = dir.path() / "tpl";
  write(t / "files" / "a.txt", "{{x}} {{y}}");
  write(t / "template.json", R"({"name": "tpl", "variables": {
      "x": {"default": "ab", "pattern": "[a-z]{1,4}"},
      "y": {"default": "cd", "pattern": "[a-z]{1,4}"}}})");
  const Template tmpl = load_template(t.string(), {});
  REQUIRE(tmpl.variables.at("x").matcher);
  CHECK(tmpl.variables.at("x").matcher == tmpl.variables.at("y").matcher);
  CHECK_NOTHROW(check_variable("x", tmpl.variables.at("x"), "abcd"));
  CHECK_THROWS_WITH(check_variable("x", tmpl.variables.at("x"), "abcde"),
                    Catch::Contains("does not match its pattern"));
  write(t / "template.json", R"({"name": "tpl", "variables": {"x": {"pattern": "[a-"}}})");
  CHECK_THROWS_WITH(load_template(t.string(), {}), Catch::Contains("is not a regular expression"));
  write(t / "template.json",
        R"({"name": "tpl", "variables": {"x": {"default": "AB", "pattern": "[a-z]+"}}})");
  CHECK_THROWS_WITH(load_template(t.string(), {}),
                    Catch::Contains("variable 'x' value 'AB' does not match its pattern"));
}
