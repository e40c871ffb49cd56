// A fake fax node for the gateway's tests: a real Poco HTTP server on 127.0.0.1 (any free
// port) that answers every request with the status and body the test sets, and records what
// it was sent. Threading: the server's threads and the test share `mutex_`.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace faxgate::gateway::testing {

class FakeNode {
  public:
    struct Request {
        std::string method, path, authorization, body;
    };

    FakeNode()
        : server_(std::make_unique<Poco::Net::HTTPServer>(
              new Factory(*this), Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)),
              new Poco::Net::HTTPServerParams)) {
        server_->start();
    }
    ~FakeNode() { server_->stopAll(true); }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

    void answer(int status, const std::string& body) {
        std::lock_guard lock(mutex_);
        status_ = status;
        body_ = body;
    }
    std::vector<Request> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }

    // A URL on which nothing listens: a free port, taken and closed again.
    static std::string closedUrl() {
        Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
        const auto port = probe.address().port();
        probe.close();
        return "http://127.0.0.1:" + std::to_string(port);
    }

  private:
    class Handler : public Poco::Net::HTTPRequestHandler {
      public:
        explicit Handler(FakeNode& node) : node_(node) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            Request seen;
            seen.method = request.getMethod();
            seen.path = request.getURI();
            seen.authorization = request.get("Authorization", "");
            Poco::StreamCopier::copyToString(request.stream(), seen.body);
            int status = 0;
            std::string body;
            {
                std::lock_guard lock(node_.mutex_);
                node_.requests_.push_back(seen);
                status = node_.status_;
                body = node_.body_;
            }
            response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
            response.setContentType("application/json");
            response.setContentLength(static_cast<std::streamsize>(body.size()));
            response.send() << body;
        }

      private:
        FakeNode& node_;
    };
    class Factory : public Poco::Net::HTTPRequestHandlerFactory {
      public:
        explicit Factory(FakeNode& node) : node_(node) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(
            const Poco::Net::HTTPServerRequest&) override {
            return new Handler(node_);
        }

      private:
        FakeNode& node_;
    };

    std::mutex mutex_;
    int status_ = 200;
    std::string body_ = "{}";
    std::vector<Request> requests_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;  // last: stopped before the rest goes
};

}  // namespace faxgate::gateway::testing
