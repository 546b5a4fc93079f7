#pragma once

#include <set>
#include <string>
#include <vector>

#include "store/model.hpp"

namespace berth {

// The front door's nginx configuration at the http level (an include): one server per app (by
// <project>.localhost) proxying to its `frontend` port (for the apps in `without_frontend`, which
// have no frontend part, its `backend` port; else its first), and one location per lease
// (/app/preview/<id>/) on the default server; all listening on `listen` (nginx's ADDR:PORT).
std::string nginx_http(const std::vector<Reservation>& apps, const std::vector<Lease>& leases,
                       const std::string& listen, const std::set<AppKey>& without_frontend = {});

// `http` wrapped into a whole nginx.conf whose every path is relative to nginx's prefix (-p), so
// it runs from any folder, as any user.
std::string nginx_standalone(const std::string& http);

}  // namespace berth
