// HTTP(S) requests to the admin API; see admin_client.h.
#include "admin-tool/admin_client.h"

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include <filesystem>
#include <mutex>
#include <sstream>

namespace faxgate::admin {

std::string Reply::error() const {
    if (body && body->has("error") && body->get("error").isString()) {
        return body->getValue<std::string>("error");
    }
    return "the gateway answered HTTP " + std::to_string(status);
}

HttpTransport::HttpTransport(Connection connection) : connection_(std::move(connection)) {
    Poco::URI uri;
    try {
        uri = Poco::URI(connection_.url);
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument("gateway URL '" + connection_.url + "': " + e.message());
    }
    if ((uri.getScheme() != "http" && uri.getScheme() != "https") || uri.getHost().empty()) {
        throw std::invalid_argument("gateway URL '" + connection_.url +
                                    "' is not an http:// or https:// URL");
    }
    if (uri.getScheme() != "https") return;
    static std::once_flag sslOnce;
    std::call_once(sslOnce, [] { Poco::Net::initializeSSL(); });
    if (connection_.insecure) {
        tls_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                      Poco::Net::Context::VERIFY_NONE);
        return;
    }
    if (!connection_.caFile.empty() && !std::filesystem::is_regular_file(connection_.caFile)) {
        throw std::invalid_argument("CA file '" + connection_.caFile + "' does not exist");
    }
    try {
        // The system's CAs and the CA file; the chain and the host name are verified.
        tls_ =
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", connection_.caFile,
                                   Poco::Net::Context::VERIFY_RELAXED, 9, true);
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument("CA file '" + connection_.caFile + "': " + e.displayText());
    }
}

Reply HttpTransport::send(const std::string& method, const std::string& path,
                          const std::string& body) {
    const Poco::URI uri(connection_.url);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (tls_) {
        session =
            std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), tls_);
    } else {
        session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    session->setTimeout(Poco::Timespan(connection_.timeoutMs * 1000));
    std::string base = uri.getPath();
    while (!base.empty() && base.back() == '/') base.pop_back();
    Poco::Net::HTTPRequest request(method, base + path, Poco::Net::HTTPMessage::HTTP_1_1);
    std::ostringstream credentials;
    {
        Poco::Base64Encoder encoder(credentials);
        encoder.rdbuf()->setLineLength(0);
        encoder << connection_.user << ':' << connection_.password;
        encoder.close();
    }
    request.set("Authorization", "Basic " + credentials.str());
    request.set("Accept", "application/json");
    if (!body.empty()) request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));

    Poco::Net::HTTPResponse response;
    std::string text;
    try {
        session->sendRequest(request) << body;
        std::istream& in = session->receiveResponse(response);
        char buffer[16384];
        while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
            text.append(buffer, static_cast<size_t>(in.gcount()));
            if (text.size() > kMaxReplyBytes) {
                throw ConnectError("the gateway's answer is larger than " +
                                   std::to_string(kMaxReplyBytes) + " bytes");
            }
        }
    } catch (const Poco::Exception& e) {
        std::string message =
            "cannot talk to the gateway at " + connection_.url + ": " + e.displayText();
        if (tls_ && message.find("ertificate") != std::string::npos) {
            message +=
                " (to trust a private CA or the gateway's own certificate, give "
                "--ca-file FILE, FAXGATE_CA_FILE or ca_file in the config file)";
        }
        throw ConnectError(message);
    }
    Reply reply;
    reply.status = response.getStatus();
    reply.body = new Poco::JSON::Object;
    try {
        // Keep the gateway's key order: settings documents are printed for editing.
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        Poco::Dynamic::Var parsed = parser.parse(text);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
            reply.body = parsed.extract<Poco::JSON::Object::Ptr>();
        } else if (parsed.type() == typeid(Poco::JSON::Array::Ptr)) {
            reply.list = parsed.extract<Poco::JSON::Array::Ptr>();
        }
    } catch (const Poco::Exception&) {
        // Not JSON (a proxy's error page): error() describes the status instead.
    }
    return reply;
}

}  // namespace faxgate::admin
