// fax-admin's link to the gateway: one JSON request per call to the admin API
// (gateway/api/admin_api.h) over HTTP or HTTPS with Basic credentials, and the connection
// settings (command line, environment, ~/.config/faxgate/admin.ini).
//
// HTTPS: the gateway's certificate is verified against the system's CAs plus, if given, a
// PEM CA file (a private CA, or the gateway's self-signed certificate itself), and its name
// against the URL's host; `insecure` skips both (fax-admin warns).
//
// Diagnostics: a gateway that cannot be reached, or whose certificate is not trusted, is a
// ConnectError (fax-admin exit 3); every answer, refusals included, comes back as a Reply
// with the HTTP status and the JSON body.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/Context.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace faxgate::admin {

struct Reply {
    int status = 0;
    Poco::JSON::Object::Ptr body;  // never null: an empty object if the body was not an object
    Poco::JSON::Array::Ptr list;   // the body if it was a JSON array, else null
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
    std::string caFile;         // PEM CA certificate(s) trusted besides the system's
    bool insecure = false;      // https: do not verify the certificate at all
};

// Largest answer read from the gateway; lists are bounded by the API, this bounds the rest.
inline constexpr size_t kMaxReplyBytes = 64 * 1024 * 1024;

// Threading: one thread at a time (fax-admin makes one request after the other).
class HttpTransport : public Transport {
  public:
    // Throws std::invalid_argument if the URL is not http:// or https://, or the CA file
    // cannot be loaded.
    explicit HttpTransport(Connection connection);
    Reply send(const std::string& method, const std::string& path,
               const std::string& body) override;

  private:
    const Connection connection_;
    Poco::Net::Context::Ptr tls_;  // https only
};

}  // namespace faxgate::admin
