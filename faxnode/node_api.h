// The node's HTTP API as a plain function from request to response, without sockets, so it
// can be tested (and fuzzed) without a network; node_server.h puts it on Poco's HTTPServer.
//   PUT    /v1/jobs/{id}   take a job (docs/node-protocol.md, "Jobs")
//   DELETE /v1/jobs/{id}   cancel the call of a job
//   GET    /v1/status      the lines, for humans and debugging
//   PUT    /v1/settings    apply a settings document (docs/settings.md): 200, 409, 422
// Every request needs `Authorization: Bearer <session>` with the session of the current
// hello (401 otherwise; before the first hello nothing is accepted). Every answer is a JSON
// object; errors are {"error": "<plain words>"}.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "faxnode/line_manager.h"
#include "faxnode/settings_applier.h"

namespace faxgate::node {

struct ApiRequest {
    std::string method;         // "PUT", "DELETE", "GET", ...
    std::string path;           // without the query string
    std::string authorization;  // the Authorization header, as sent
    std::string body;           // already limited by the server (max_request_bytes)
};

struct ApiResponse {
    int status = 200;
    std::string body;  // JSON object
};

struct NodeApiOptions {
    std::string nodeId;           // reported by GET /v1/status
    int maxPages = 1000;          // a job with more pages is refused (400)
    size_t maxNumberLength = 32;  // digits of a number to dial, with an optional '+'
};

// Thread-safety: handle() may run on many server threads at once; it keeps no state of its
// own, the line manager, the settings applier and the session check are thread-safe.
class NodeApi {
  public:
    using SessionCheck = std::function<bool(const std::string& token)>;

    NodeApi(NodeApiOptions options, LineManager& lines, SettingsApplier& settings,
            SessionCheck isCurrentSession);

    ApiResponse handle(const ApiRequest& request);

  private:
    ApiResponse putJob(int64_t jobId, const std::string& body);
    ApiResponse deleteJob(int64_t jobId);
    ApiResponse status();
    ApiResponse putSettings(const std::string& body);

    const NodeApiOptions options_;
    LineManager& lines_;
    SettingsApplier& settings_;
    const SessionCheck isCurrentSession_;
};

// {"error": text}
std::string jsonError(const std::string& text);

}  // namespace faxgate::node
