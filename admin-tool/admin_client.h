// fax-admin's link to the gateway: one JSON request per call to the admin API
// (gateway/api/admin_api.h) over HTTP or HTTPS with Basic credentials, and the connection
// settings (command line, environment, ~/.config/faxgate/admin.ini).
//
// Diagnostics: a gateway that cannot be reached is a ConnectError (fax-admin exit 3); every
// answer, refusals included, comes back as a Reply with the HTTP status and the JSON body.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace faxgate::admin {

struct Reply {
    int status = 0;
    Poco::JSON::Object::Ptr body;  // never null: an empty object if the body was not JSON
    std::string error() const;     // the body's "error", or a description of the status
};

class ConnectError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Carries one request to the gateway. HttpTransport is the real one; tests give a fake.
class Transport {
  public:
    virtual ~Transport() = default;
    // `body` is JSON or empty (no body). Throws ConnectError if the gateway is unreachable.
    virtual Reply send(const std::string& method, const std::string& path,
                       const std::string& body) = 0;
};

struct Connection {
    std::string url = "http://127.0.0.1:8080";  // the gateway's HTTP listener
    std::string user;
    std::string password;
    int64_t timeoutMs = 30000;  // connect, send and receive, each
};

// Largest answer read from the gateway; lists are bounded by the API, this bounds the rest.
inline constexpr size_t kMaxReplyBytes = 64 * 1024 * 1024;

class HttpTransport : public Transport {
  public:
    // Throws std::invalid_argument if the URL is not http:// or https://.
    explicit HttpTransport(Connection connection);
    Reply send(const std::string& method, const std::string& path,
               const std::string& body) override;

  private:
    const Connection connection_;
};

}  // namespace faxgate::admin
