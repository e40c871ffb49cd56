// The node's HTTP listener; see node_server.h.
#include "faxnode/node_server.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

namespace faxgate::node {
namespace {

void sendJson(Poco::Net::HTTPServerResponse& response, int status, const std::string& body) {
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    response.setContentType("application/json");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body;
}

class ApiHandler : public Poco::Net::HTTPRequestHandler {
  public:
    ApiHandler(NodeApi& api, int64_t maxRequestBytes)
        : api_(api), maxRequestBytes_(maxRequestBytes) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        ApiRequest apiRequest;
        apiRequest.method = request.getMethod();
        const std::string& uri = request.getURI();
        apiRequest.path = uri.substr(0, uri.find('?'));
        apiRequest.authorization = request.get("Authorization", "");

        std::string tooLarge = "the request body is larger than max_request_bytes (" +
                               std::to_string(maxRequestBytes_) + " bytes)";
        std::istream& in = request.stream();
        if (request.hasContentLength() && request.getContentLength64() > maxRequestBytes_) {
            // A client that is still sending sees a connection reset instead of our answer
            // if we close with its body unread; read and drop a body up to twice the limit
            // (bounded work) so it gets the 413, close at once beyond that.
            if (request.getContentLength64() <= 2 * maxRequestBytes_) {
                char buffer[65536];
                while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
                }
            }
            response.setKeepAlive(false);  // an unread body must not be taken for a request
            sendJson(response, 413, jsonError(tooLarge));
            return;
        }
        apiRequest.body.resize(
            static_cast<size_t>(request.hasContentLength() ? request.getContentLength64() : 0));
        if (!apiRequest.body.empty()) {
            in.read(apiRequest.body.data(), static_cast<std::streamsize>(apiRequest.body.size()));
            if (static_cast<size_t>(in.gcount()) != apiRequest.body.size()) {
                sendJson(response, 400,
                         jsonError("the request body is shorter than its Content-Length"));
                return;
            }
        } else if (request.getChunkedTransferEncoding()) {
            char buffer[65536];
            while (in) {
                in.read(buffer, sizeof buffer);
                apiRequest.body.append(buffer, static_cast<size_t>(in.gcount()));
                if (static_cast<int64_t>(apiRequest.body.size()) > maxRequestBytes_) {
                    response.setKeepAlive(false);
                    sendJson(response, 413, jsonError(tooLarge));
                    return;
                }
            }
        }
        ApiResponse answer = api_.handle(apiRequest);
        if (answer.status >= 400 && answer.status != 404 && answer.status != 409) {
            Poco::Logger::get("faxnode.api")
                .warning("%s %s from %s: %d %s", apiRequest.method, apiRequest.path,
                         request.clientAddress().toString(), answer.status, answer.body);
        }
        sendJson(response, answer.status, answer.body);
    }

  private:
    NodeApi& api_;
    const int64_t maxRequestBytes_;
};

// Every path goes to the API, which answers 404 itself: a factory returning nullptr would
// make Poco answer 501 (FIELD-NOTES.md).
class ApiHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    ApiHandlerFactory(NodeApi& api, int64_t maxRequestBytes)
        : api_(api), maxRequestBytes_(maxRequestBytes) {}

    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
        return new ApiHandler(api_, maxRequestBytes_);
    }

  private:
    NodeApi& api_;
    const int64_t maxRequestBytes_;
};

}  // namespace

NodeServer::NodeServer(const NodeServerOptions& options, NodeApi& api) {
    Poco::Net::ServerSocket socket(
        Poco::Net::SocketAddress(options.listenAddress, static_cast<Poco::UInt16>(options.port)));
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(options.maxThreads);
    params->setMaxQueued(options.maxQueuedConnections);
    params->setTimeout(Poco::Timespan(options.idleTimeoutMs * 1000));
    params->setKeepAliveTimeout(Poco::Timespan(options.idleTimeoutMs * 1000));
    server_ = std::make_unique<Poco::Net::HTTPServer>(
        new ApiHandlerFactory(api, options.maxRequestBytes), socket, params);
}

NodeServer::~NodeServer() { stop(); }

void NodeServer::start() {
    if (running_) return;
    server_->start();
    running_ = true;
}

void NodeServer::stop() {
    if (!running_) return;
    server_->stopAll(/*abortCurrent=*/false);
    running_ = false;
}

}  // namespace faxgate::node
