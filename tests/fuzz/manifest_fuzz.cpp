// libFuzzer target: the template loader with parts, variants, needs and patterns. The input is
// the manifest of a template folder that holds files, a without/backend/ folder and two variant
// folders; a manifest that loads is then rendered for an app, with and without the backend part.
// Loading and rendering must succeed or throw berth::Error; anything else is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "generator/io/fileio.hpp"
#include "generator/template/output.hpp"
#include "generator/template/template.hpp"
#include "store/error.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path& template_dir() {
  static const fs::path dir = [] {
    std::string pattern = (fs::temp_directory_path() / "berth-fuzz-manifest-XXXXXX").string();
    const fs::path d = mkdtemp(pattern.data());
    const auto put = [&](const std::string& rel, const std::string& text) {
      berth::write_atomic(d / rel, text, 0644);
    };
    put("files/backend/app.py", "PORT = {{backend_port}}\n");
    put("files/frontend/index.html", "<title>{{app_title|App}}</title>\n");
    put("files/docker-compose.yml", "name: {{project_name}}\n");
    put("without/backend/docker-compose.yml", "front: {{frontend_port}}\n");
    put("variants/one/k8s/service.yaml", "type: {{k8s_service_type|ClusterIP}}\n");
    put("variants/two/k8s/service.yaml", "type: two\n");
    put("variants/two/extra.txt", "{{node_port|0}}\n");
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  berth::write_atomic(template_dir() / "template.json", text, 0644);
  try {
    const berth::Template t = berth::load_template(template_dir().string(), {});
    berth::Reservation r;
    r.key = {"org/model", 3};
    r.pool = "apps";
    r.project = "org-model-app3";
    r.ports = {{"backend", 5005}, {"frontend", 8005}, {"node", 30001}};
    std::map<std::string, std::string> sets;
    for (const auto& [key, var] : t.variables) {
      sets[key] = var.default_value.value_or("v");
      berth::extra_pools(t, sets);
    }
    const berth::Context context = berth::make_context(r, t, sets);
    berth::render_template(t, context);
    berth::render_template(t, context, {}, true, std::vector<std::string>{"root", "frontend"});
  } catch (const berth::Error&) {
  }
  return 0;
}
