// The whole node in-process against a fake gateway (a Poco HTTPServer in the test), all on
// loopback with port 0: hello, jobs over the node's API, records posted and re-posted,
// duplicates, authentication, limits; received faxes posted to /node/v1/inbound.
#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "faxnode/node.h"
#include "tests/faxnode/test_tiff.h"

namespace faxgate::node {
namespace {

using testing::TempDir;

Poco::JSON::Object::Ptr parseObject(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

// Waits for `condition`; the deadline only keeps a broken build from hanging the test run.
bool eventually(const std::function<bool()>& condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return condition();
}

// The gateway side of docs/node-protocol.md, just enough to talk to one node.
class FakeGateway {
  public:
    struct Request {
        std::string path;
        std::string authorization;
        std::string body;
    };

    FakeGateway() {
        Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
        port_ = socket.address().port();
        server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket,
                                                          new Poco::Net::HTTPServerParams);
        server_->start();
    }
    ~FakeGateway() { server_->stopAll(true); }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    std::vector<Request> requests(const std::string& path) {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<Request> found;
        for (const Request& request : requests_) {
            if (request.path == path) found.push_back(request);
        }
        return found;
    }
    std::string session() {
        std::lock_guard<std::mutex> lock(mutex_);
        return session_;
    }
    // Answer the next `count` record posts with 500.
    void failRecords(int count) {
        std::lock_guard<std::mutex> lock(mutex_);
        recordFailuresLeft_ = count;
    }
    // Answer the next `count` inbound posts with `status`.
    void failInbound(int count, int status = 500) {
        std::lock_guard<std::mutex> lock(mutex_);
        inboundFailuresLeft_ = count;
        inboundFailureStatus_ = status;
    }
    // Like a gateway restart: the current session is no longer valid.
    void forgetSession() {
        std::lock_guard<std::mutex> lock(mutex_);
        session_ = "";
    }
    // A hello with this secret is accepted too.
    void acceptSecret(const std::string& secret) {
        std::lock_guard<std::mutex> lock(mutex_);
        secrets_.insert(secret);
    }
    // Hello answers carry this as "settings" ({"version": n, "settings": {...}}; "" = none).
    void setHelloSettings(const std::string& json) {
        std::lock_guard<std::mutex> lock(mutex_);
        helloSettings_ = json;
    }

  private:
    class Handler : public Poco::Net::HTTPRequestHandler {
      public:
        explicit Handler(FakeGateway& gateway) : gateway_(gateway) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            std::ostringstream body;
            body << request.stream().rdbuf();
            auto [status, answer] =
                gateway_.answer({request.getURI(), request.get("Authorization", ""), body.str()});
            response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
            response.setContentType("application/json");
            response.send() << answer;
        }

      private:
        FakeGateway& gateway_;
    };
    class Factory : public Poco::Net::HTTPRequestHandlerFactory {
      public:
        explicit Factory(FakeGateway& gateway) : gateway_(gateway) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(
            const Poco::Net::HTTPServerRequest&) override {
            return new Handler(gateway_);
        }

      private:
        FakeGateway& gateway_;
    };

    std::pair<int, std::string> answer(const Request& request) {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back(request);
        if (request.path == "/node/v1/hello") {
            auto hello = parseObject(request.body);
            if (secrets_.count(hello->getValue<std::string>("secret")) == 0) {
                return {401, "{\"error\":\"wrong secret\"}"};
            }
            session_ = "session-" + std::to_string(++sessions_);
            std::string settings = helloSettings_.empty() ? "" : ",\"settings\":" + helloSettings_;
            return {200, "{\"session\":\"" + session_ + "\",\"heartbeat_interval_ms\":200" +
                             settings + "}"};
        }
        if (session_.empty() || request.authorization != "Bearer " + session_) {
            return {401, "{\"error\":\"say hello first\"}"};
        }
        if (request.path == "/node/v1/heartbeat") return {200, "{}"};
        if (request.path == "/node/v1/records") {
            if (recordFailuresLeft_ > 0) {
                --recordFailuresLeft_;
                return {500, "{\"error\":\"database is locked\"}"};
            }
            return {200, "{}"};
        }
        if (request.path == "/node/v1/inbound") {
            if (inboundFailuresLeft_ > 0) {
                --inboundFailuresLeft_;
                return {inboundFailureStatus_, "{\"error\":\"mailbox store unavailable\"}"};
            }
            return {200, "{\"delivered_to\":[\"alice\"]}"};
        }
        return {404, "{\"error\":\"no such resource\"}"};
    }

    std::mutex mutex_;
    std::vector<Request> requests_;
    std::string session_;
    std::set<std::string> secrets_{"s3cret-node-1"};
    std::string helloSettings_;
    int sessions_ = 0;
    int recordFailuresLeft_ = 0;
    int inboundFailuresLeft_ = 0;
    int inboundFailureStatus_ = 500;
    int port_ = 0;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
};

struct HttpAnswer {
    int status = 0;
    std::string body;
};

class NodeEndToEndTest : public ::testing::Test {
  protected:
    NodeConfig makeConfig() {
        NodeConfig config;
        config.nodeId = "node-1";
        config.listenAddress = "127.0.0.1";
        config.port = 0;
        config.spoolDir = spoolDir_.path();
        config.maxRequestBytes = 256 * 1024;
        config.shutdownGraceMs = 0;
        config.gatewayUrl = gateway_.url();
        config.retryMaxMs = 200;
        config.settings.nodeId = "node-1";
        config.settings.secret = "s3cret-node-1";
        settings::LineSettings line;
        line.id = "sim-1";
        line.sim.dialMs = 20;
        line.sim.pageMs = 20;
        line.sim.busyPattern = "^0399.*";
        line.sim.noAnswerPattern = "^0398.*";
        config.settings.lines.push_back(line);
        return config;
    }

    void startNode(NodeConfig config) {
        node_ = std::make_unique<FaxNode>(std::move(config));
        node_->start();
    }

    HttpAnswer call(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& bearer) {
        Poco::Net::HTTPClientSession client("127.0.0.1", static_cast<Poco::UInt16>(node_->port()));
        client.setTimeout(Poco::Timespan(30, 0));
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        if (!bearer.empty()) request.set("Authorization", "Bearer " + bearer);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        client.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::ostringstream answer;
        answer << client.receiveResponse(response).rdbuf();
        return {static_cast<int>(response.getStatus()), answer.str()};
    }

    std::string jobBody(int64_t jobId, int attempt, const std::string& number, int pages) {
        TempDir tiffDir;
        std::string tiffPath = tiffDir.path() + "/doc.tif";
        testing::writeFaxTiff(tiffPath, pages);
        std::ostringstream base64;
        Poco::Base64Encoder encoder(base64);
        encoder << testing::readFile(tiffPath);
        encoder.close();
        Poco::JSON::Object body;
        body.set("job_id", jobId);
        body.set("attempt", attempt);
        body.set("number", number);
        body.set("resolution", "fine");
        body.set("pages", pages);
        body.set("tiff_base64", base64.str());
        std::ostringstream out;
        body.stringify(out);
        return out.str();
    }

    bool waitForHello() {
        return eventually([&] { return node_->link().hasSession(); });
    }

    std::vector<Poco::JSON::Object::Ptr> postedRecords() {
        std::vector<Poco::JSON::Object::Ptr> records;
        for (const auto& request : gateway_.requests("/node/v1/records")) {
            records.push_back(parseObject(request.body));
        }
        return records;
    }

    std::vector<Poco::JSON::Object::Ptr> postedReceptions() {
        std::vector<Poco::JSON::Object::Ptr> receptions;
        for (const auto& request : gateway_.requests("/node/v1/inbound")) {
            receptions.push_back(parseObject(request.body));
        }
        return receptions;
    }

    static std::string decodeBase64(const std::string& text) {
        std::istringstream in(text);
        Poco::Base64Decoder decoder(in);
        std::ostringstream out;
        out << decoder.rdbuf();
        return out.str();
    }

    // A fax arriving on line sim-1 (lines/sim_line.h, "Receiving"); returns the TIFF bytes.
    std::string injectFax(int pages) {
        std::string inbox = spoolDir_.path() + "/inbox/sim-1";
        std::filesystem::create_directories(inbox);
        testing::writeFaxTiff(inbox + "/.call.tif", pages);
        testing::writeFile(inbox + "/call.json",
                           R"({"caller_number":"0398765432","remote_csid":"+81 3 9876 5432"})");
        std::filesystem::rename(inbox + "/.call.tif", inbox + "/call.tif");
        return testing::readFile(inbox + "/call.tif");
    }

    // A settings document for this node with one sim line.
    static settings::NodeSettings documentWith(const std::string& lineId) {
        settings::NodeSettings document;
        document.nodeId = "node-1";
        settings::LineSettings line;
        line.id = lineId;
        line.sim.dialMs = 20;
        line.sim.pageMs = 20;
        document.lines.push_back(line);
        return document;
    }

    // PUT /v1/settings's body.
    static std::string settingsBody(int64_t version, const settings::NodeSettings& document) {
        return "{\"version\":" + std::to_string(version) +
               ",\"settings\":" + settings::toJson(document, /*includeSecret=*/true) + "}";
    }

    // The heartbeats' bodies so far.
    std::vector<Poco::JSON::Object::Ptr> heartbeats() {
        std::vector<Poco::JSON::Object::Ptr> bodies;
        for (const auto& request : gateway_.requests("/node/v1/heartbeat")) {
            bodies.push_back(parseObject(request.body));
        }
        return bodies;
    }

    bool heartbeatShowed(const std::string& state) {
        for (const auto& request : gateway_.requests("/node/v1/heartbeat")) {
            auto line = parseObject(request.body)->getArray("lines")->getObject(0);
            if (line->getValue<std::string>("state") == state) return true;
        }
        return false;
    }

    FakeGateway gateway_;
    TempDir spoolDir_;
    std::unique_ptr<FaxNode> node_;
};

TEST_F(NodeEndToEndTest, HelloJobRecordAndDuplicate) {
    startNode(makeConfig());
    ASSERT_TRUE(waitForHello());

    auto hellos = gateway_.requests("/node/v1/hello");
    ASSERT_EQ(hellos.size(), 1u);
    auto hello = parseObject(hellos[0].body);
    EXPECT_EQ(hello->getValue<std::string>("node_id"), "node-1");
    EXPECT_EQ(hello->getValue<std::string>("url"),
              "http://127.0.0.1:" + std::to_string(node_->port()));
    EXPECT_EQ(hello->getValue<std::string>("boot_id"), node_->link().bootId());
    EXPECT_FALSE(node_->link().bootId().empty());
    EXPECT_EQ(hello->getArray("lines")->getObject(0)->getValue<std::string>("id"), "sim-1");
    EXPECT_EQ(hello->getArray("lines")->getObject(0)->getValue<std::string>("state"), "idle");

    std::string body = jobBody(42, 1, "0312345678", 2);
    HttpAnswer accepted = call("PUT", "/v1/jobs/42", body, gateway_.session());
    ASSERT_EQ(accepted.status, 202) << accepted.body;
    EXPECT_EQ(parseObject(accepted.body)->getValue<std::string>("line"), "sim-1");

    HttpAnswer repeat = call("PUT", "/v1/jobs/42", body, gateway_.session());
    EXPECT_EQ(repeat.status, 200) << repeat.body;
    EXPECT_TRUE(parseObject(repeat.body)->getValue<bool>("duplicate"));
    EXPECT_EQ(parseObject(repeat.body)->getValue<std::string>("line"), "sim-1");

    ASSERT_TRUE(eventually([&] { return !postedRecords().empty(); }));
    auto record = postedRecords()[0];
    EXPECT_EQ(record->getValue<std::string>("result"), "ok");
    EXPECT_EQ(record->getValue<int>("pages"), 2);
    EXPECT_EQ(record->getValue<int>("pages_total"), 2);
    EXPECT_EQ(record->getValue<int64_t>("job_id"), 42);
    EXPECT_EQ(record->getValue<int>("attempt"), 1);
    EXPECT_EQ(record->getValue<std::string>("node_id"), "node-1");
    EXPECT_EQ(record->getValue<std::string>("direction"), "send");
    EXPECT_EQ(record->getValue<std::string>("remote_csid"), "+0312345678");
    EXPECT_TRUE(eventually([&] { return node_->spool().list().empty(); }));

    // Finished, and still never dialled twice.
    EXPECT_EQ(call("PUT", "/v1/jobs/42", body, gateway_.session()).status, 200);
    node_->stop();
    EXPECT_EQ(postedRecords().size(), 1u);
}

TEST_F(NodeEndToEndTest, OnlyTheCurrentSessionIsAccepted) {
    startNode(makeConfig());
    // Before any hello: nothing at all is accepted. (The gateway has not answered yet when
    // the session is still empty; an empty bearer must never match.)
    EXPECT_EQ(call("GET", "/v1/status", "", "").status, 401);
    ASSERT_TRUE(waitForHello());
    std::string body = jobBody(7, 1, "0312345678", 1);
    HttpAnswer wrong = call("PUT", "/v1/jobs/7", body, "not-the-session");
    EXPECT_EQ(wrong.status, 401);
    EXPECT_TRUE(parseObject(wrong.body)->has("error"));
    EXPECT_EQ(call("PUT", "/v1/jobs/7", body, "").status, 401);
    HttpAnswer status = call("GET", "/v1/status", "", gateway_.session());
    EXPECT_EQ(status.status, 200);
    EXPECT_EQ(parseObject(status.body)->getValue<std::string>("node_id"), "node-1");
}

TEST_F(NodeEndToEndTest, NothingIsAcceptedBeforeHelloSucceeded) {
    NodeConfig config = makeConfig();
    config.settings.secret = "wrong-secret";  // the gateway refuses every hello
    startNode(config);
    ASSERT_TRUE(eventually([&] { return gateway_.requests("/node/v1/hello").size() >= 2; }));
    EXPECT_FALSE(node_->link().hasSession());
    EXPECT_EQ(call("PUT", "/v1/jobs/7", jobBody(7, 1, "0312345678", 1), "").status, 401);
    EXPECT_EQ(call("PUT", "/v1/jobs/7", jobBody(7, 1, "0312345678", 1), "session-1").status, 401);
}

TEST_F(NodeEndToEndTest, RecordIsRepostedUntilTheGatewayTakesIt) {
    gateway_.failRecords(1);
    startNode(makeConfig());
    ASSERT_TRUE(waitForHello());
    ASSERT_EQ(call("PUT", "/v1/jobs/5", jobBody(5, 2, "0399123", 1), gateway_.session()).status,
              202);
    ASSERT_TRUE(eventually([&] { return postedRecords().size() >= 2; }));
    auto records = postedRecords();
    EXPECT_EQ(records[0]->getValue<std::string>("record_id"),
              records[1]->getValue<std::string>("record_id"));
    EXPECT_EQ(records[1]->getValue<std::string>("result"), "busy");
    EXPECT_TRUE(eventually([&] { return node_->spool().list().empty(); }));
}

TEST_F(NodeEndToEndTest, SpooledRecordsArePostedAfterARestart) {
    {
        RecordSpool spool(spoolDir_.path());
        CommunicationRecord record;
        record.recordId = "node-1-1000-1";
        record.jobId = 9;
        record.attempt = 1;
        record.nodeId = "node-1";
        record.result = "ok";
        record.endedMs = 1000;
        spool.save(record);
    }
    startNode(makeConfig());
    ASSERT_TRUE(eventually([&] { return !postedRecords().empty(); }));
    EXPECT_EQ(postedRecords()[0]->getValue<std::string>("record_id"), "node-1-1000-1");
    EXPECT_TRUE(eventually([&] { return node_->spool().list().empty(); }));
}

TEST_F(NodeEndToEndTest, HeartbeatShowsTheCallAndCancelEndsIt) {
    NodeConfig config = makeConfig();
    config.settings.lines[0].sim.dialMs = 60000;  // the call waits until it is cancelled
    startNode(config);
    ASSERT_TRUE(waitForHello());
    ASSERT_EQ(call("PUT", "/v1/jobs/8", jobBody(8, 1, "0312345678", 1), gateway_.session()).status,
              202);
    // The state change triggers a heartbeat that shows the line sending job 8.
    ASSERT_TRUE(eventually([&] {
        for (const auto& request : gateway_.requests("/node/v1/heartbeat")) {
            auto line = parseObject(request.body)->getArray("lines")->getObject(0);
            if (line->getValue<std::string>("state") == "sending" &&
                line->optValue<int64_t>("job_id", 0) == 8) {
                return true;
            }
        }
        return false;
    }));
    EXPECT_EQ(call("PUT", "/v1/jobs/9", jobBody(9, 1, "0312345678", 1), gateway_.session()).status,
              409);
    EXPECT_EQ(call("DELETE", "/v1/jobs/99", "", gateway_.session()).status, 404);
    EXPECT_EQ(call("DELETE", "/v1/jobs/8", "", gateway_.session()).status, 202);
    ASSERT_TRUE(eventually([&] { return !postedRecords().empty(); }));
    EXPECT_EQ(postedRecords()[0]->getValue<std::string>("result"), "cancelled");
}

TEST_F(NodeEndToEndTest, GatewayRestartLeadsToANewHello) {
    startNode(makeConfig());
    ASSERT_TRUE(waitForHello());
    std::string first = gateway_.session();
    gateway_.forgetSession();
    ASSERT_TRUE(eventually([&] { return gateway_.requests("/node/v1/hello").size() >= 2; }));
    ASSERT_TRUE(eventually([&] { return node_->link().isCurrentSession(gateway_.session()); }));
    EXPECT_FALSE(node_->link().isCurrentSession(first));
    EXPECT_EQ(call("GET", "/v1/status", "", first).status, 401);
}

TEST_F(NodeEndToEndTest, MalformedRequestsGetJsonReasons) {
    startNode(makeConfig());
    ASSERT_TRUE(waitForHello());
    std::string session = gateway_.session();

    HttpAnswer notJson = call("PUT", "/v1/jobs/1", "{not json", session);
    EXPECT_EQ(notJson.status, 400);
    EXPECT_NE(parseObject(notJson.body)->getValue<std::string>("error").find("JSON"),
              std::string::npos);

    auto job = parseObject(jobBody(1, 1, "0312345678", 1));
    job->set("tiff_base64", "@@@not base64@@@");
    std::ostringstream badBase64;
    job->stringify(badBase64);
    HttpAnswer base64 = call("PUT", "/v1/jobs/1", badBase64.str(), session);
    EXPECT_EQ(base64.status, 400);
    EXPECT_NE(base64.body.find("base64"), std::string::npos) << base64.body;

    EXPECT_EQ(call("PUT", "/v1/jobs/2", jobBody(1, 1, "0312345678", 1), session).status, 400);
    EXPECT_EQ(call("PUT", "/v1/jobs/1", jobBody(1, 1, "03-1234", 1), session).status, 400);

    HttpAnswer tooLarge = call("PUT", "/v1/jobs/1", std::string(300 * 1024, ' '), session);
    EXPECT_EQ(tooLarge.status, 413);
    EXPECT_TRUE(parseObject(tooLarge.body)->has("error"));

    HttpAnswer unknown = call("GET", "/v2/nothing", "", session);
    EXPECT_EQ(unknown.status, 404);
    EXPECT_TRUE(parseObject(unknown.body)->has("error"));
    EXPECT_EQ(call("POST", "/v1/jobs/1", "{}", session).status, 405);
}

TEST_F(NodeEndToEndTest, ReceivedFaxIsPostedAgainUntilTheGatewayTakesIt) {
    gateway_.failInbound(1);
    NodeConfig config = makeConfig();
    config.settings.lines[0].number = "0312345001";
    config.settings.lines[0].stationId = "+81 3 1234 5001";
    startNode(config);
    ASSERT_TRUE(waitForHello());
    std::string tiff = injectFax(2);

    ASSERT_TRUE(eventually([&] { return postedReceptions().size() >= 2; }));
    auto posts = postedReceptions();
    auto record = posts[0]->getObject("record");
    EXPECT_EQ(record->getValue<std::string>("record_id"),
              posts[1]->getObject("record")->getValue<std::string>("record_id"));
    EXPECT_EQ(record->getValue<std::string>("direction"), "receive");
    EXPECT_EQ(record->getValue<std::string>("node_id"), "node-1");
    EXPECT_EQ(record->getValue<std::string>("line"), "sim-1");
    EXPECT_EQ(record->getValue<std::string>("called_number"), "0312345001");
    EXPECT_EQ(record->getValue<std::string>("caller_number"), "0398765432");
    EXPECT_EQ(record->getValue<std::string>("number"), "0398765432");
    EXPECT_EQ(record->getValue<std::string>("remote_csid"), "+81 3 9876 5432");
    EXPECT_EQ(record->getValue<int>("pages"), 2);
    EXPECT_EQ(record->getValue<int>("pages_total"), 2);
    EXPECT_EQ(record->getValue<std::string>("result"), "ok");
    EXPECT_FALSE(record->has("job_id"));
    EXPECT_EQ(decodeBase64(posts[1]->getValue<std::string>("tiff_base64")), tiff);
    EXPECT_EQ(gateway_.requests("/node/v1/inbound")[1].authorization,
              "Bearer " + gateway_.session());

    // Deleted after the 200, and the heartbeats showed the line receiving meanwhile.
    EXPECT_TRUE(eventually([&] { return node_->spool().listInbound().empty(); }));
    EXPECT_TRUE(heartbeatShowed("receiving"));
    EXPECT_TRUE(postedRecords().empty());  // receptions are not posted as records
    node_->stop();
    EXPECT_EQ(postedReceptions().size(), 2u);
}

TEST_F(NodeEndToEndTest, ReceivingLineTakesNoJobAndShowsInStatus) {
    NodeConfig config = makeConfig();
    config.settings.lines[0].sim.pageMs = 60000;  // receives until the node stops
    startNode(config);
    ASSERT_TRUE(waitForHello());
    injectFax(1);
    ASSERT_TRUE(eventually([&] { return heartbeatShowed("receiving"); }));

    HttpAnswer status = call("GET", "/v1/status", "", gateway_.session());
    ASSERT_EQ(status.status, 200);
    auto line = parseObject(status.body)->getArray("lines")->getObject(0);
    EXPECT_EQ(line->getValue<std::string>("state"), "receiving");
    HttpAnswer refused =
        call("PUT", "/v1/jobs/3", jobBody(3, 1, "0312345678", 1), gateway_.session());
    EXPECT_EQ(refused.status, 409) << refused.body;

    // Stopping ends the reception; its record is spooled (and posted while the link still
    // runs, or at the next start).
    node_->stop();
    auto receptions = node_->spool().listInbound();
    std::string result;
    if (!receptions.empty()) {
        result = parseObject(receptions[0].json)->getValue<std::string>("result");
    } else {
        ASSERT_EQ(postedReceptions().size(), 1u);
        result = postedReceptions()[0]->getObject("record")->getValue<std::string>("result");
        EXPECT_FALSE(postedReceptions()[0]->has("tiff_base64") &&
                     !postedReceptions()[0]->getValue<std::string>("tiff_base64").empty());
    }
    EXPECT_EQ(result, "failed");
}

TEST_F(NodeEndToEndTest, ReceptionsSpooledBeforeARestartArePostedAfterIt) {
    std::string image = std::string("II*\0", 4) + "pages received before the restart";
    {
        RecordSpool spool(spoolDir_.path());
        CommunicationRecord record;
        record.recordId = "node-1-1000-3";
        record.direction = "receive";
        record.nodeId = "node-1";
        record.line = "sim-1";
        record.calledNumber = "0312345001";
        record.callerNumber = "0398765432";
        record.number = "0398765432";
        record.pages = 1;
        record.pagesTotal = 1;
        record.result = "ok";
        record.endedMs = 1000;
        testing::writeFile(spool.inboundReceivePath("sim-1"), image);
        spool.saveInbound(record, spool.inboundReceivePath("sim-1"));
    }
    startNode(makeConfig());
    ASSERT_TRUE(eventually([&] { return !postedReceptions().empty(); }));
    auto posted = postedReceptions()[0];
    EXPECT_EQ(posted->getObject("record")->getValue<std::string>("record_id"), "node-1-1000-3");
    EXPECT_EQ(decodeBase64(posted->getValue<std::string>("tiff_base64")), image);
    EXPECT_TRUE(eventually([&] { return node_->spool().listInbound().empty(); }));
}

TEST_F(NodeEndToEndTest, ReceptionRefusedForGoodIsSetAside) {
    gateway_.failInbound(1, 422);
    startNode(makeConfig());
    ASSERT_TRUE(waitForHello());
    injectFax(1);
    ASSERT_TRUE(eventually([&] { return !postedReceptions().empty(); }));
    ASSERT_TRUE(eventually([&] { return node_->spool().listInbound().empty(); }));
    std::string recordId =
        postedReceptions()[0]->getObject("record")->getValue<std::string>("record_id");
    std::string base = spoolDir_.path() + "/inbound/" + recordId;
    EXPECT_TRUE(std::filesystem::exists(base + ".json.rejected"));
    EXPECT_TRUE(std::filesystem::exists(base + ".tif.rejected"));
    node_->stop();
    EXPECT_EQ(postedReceptions().size(), 1u);
}

TEST_F(NodeEndToEndTest, PutSettingsAnswers) {
    startNode(makeConfig());
    ASSERT_TRUE(waitForHello());
    std::string session = gateway_.session();
    settings::NodeSettings document = documentWith("sim-2");

    EXPECT_EQ(call("PUT", "/v1/settings", settingsBody(2, document), "").status, 401);
    EXPECT_EQ(call("PUT", "/v1/settings", settingsBody(2, document), "not-the-session").status,
              401);
    EXPECT_EQ(call("PUT", "/v1/settings", "{not json", session).status, 400);
    HttpAnswer noVersion = call("PUT", "/v1/settings", R"({"settings":{}})", session);
    EXPECT_EQ(noVersion.status, 422);
    EXPECT_EQ(parseObject(noVersion.body)->getValue<std::string>("error"), "version: required");

    settings::NodeSettings bad = document;
    bad.lines[0].maxBitRate = 9000;
    HttpAnswer invalid = call("PUT", "/v1/settings", settingsBody(2, bad), session);
    EXPECT_EQ(invalid.status, 422);
    EXPECT_EQ(parseObject(invalid.body)
                  ->getValue<std::string>("error")
                  .rfind("lines[0].max_bit_rate: expected one of 2400", 0),
              0u)
        << invalid.body;
    EXPECT_FALSE(std::filesystem::exists(spoolDir_.path() + "/settings.json"));

    HttpAnswer applied = call("PUT", "/v1/settings", settingsBody(2, document), session);
    ASSERT_EQ(applied.status, 200) << applied.body;
    EXPECT_EQ(parseObject(applied.body)->getValue<int64_t>("applied_version"), 2);
    HttpAnswer again = call("PUT", "/v1/settings", settingsBody(2, document), session);
    EXPECT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(parseObject(again.body)->getValue<int64_t>("applied_version"), 2);
    HttpAnswer older = call("PUT", "/v1/settings", settingsBody(1, document), session);
    EXPECT_EQ(older.status, 409) << older.body;
    EXPECT_EQ(parseObject(older.body)->getValue<int64_t>("applied_version"), 2);
    EXPECT_TRUE(std::filesystem::exists(spoolDir_.path() + "/settings.json"));

    HttpAnswer status = call("GET", "/v1/status", "", session);
    EXPECT_EQ(parseObject(status.body)->getValue<int64_t>("settings_version"), 2);
    EXPECT_EQ(
        parseObject(status.body)->getArray("lines")->getObject(0)->getValue<std::string>("id"),
        "sim-2");
    // The gateway learns it from the heartbeats too.
    EXPECT_TRUE(eventually([&] {
        for (const auto& heartbeat : heartbeats()) {
            if (heartbeat->getValue<int64_t>("settings_version") == 2 &&
                heartbeat->getArray("lines")->getObject(0)->getValue<std::string>("id") ==
                    "sim-2") {
                return true;
            }
        }
        return false;
    }));
}

TEST_F(NodeEndToEndTest, ConcurrencyTwoCarriesTwoCallsAndRefusesAThird) {
    startNode(makeConfig());
    ASSERT_TRUE(waitForHello());
    std::string session = gateway_.session();
    settings::NodeSettings document = documentWith("trunk");
    document.lines[0].concurrency = 2;
    document.lines[0].sim.dialMs = 60000;  // calls wait until they are cancelled
    ASSERT_EQ(call("PUT", "/v1/settings", settingsBody(1, document), session).status, 200);

    HttpAnswer first = call("PUT", "/v1/jobs/1", jobBody(1, 1, "0312345678", 1), session);
    HttpAnswer second = call("PUT", "/v1/jobs/2", jobBody(2, 1, "0312345679", 1), session);
    ASSERT_EQ(first.status, 202) << first.body;
    ASSERT_EQ(second.status, 202) << second.body;
    EXPECT_EQ(parseObject(second.body)->getValue<std::string>("line"), "trunk");
    HttpAnswer third = call("PUT", "/v1/jobs/3", jobBody(3, 1, "0312345670", 1), session);
    EXPECT_EQ(third.status, 409) << third.body;

    EXPECT_TRUE(eventually([&] {
        for (const auto& heartbeat : heartbeats()) {
            auto line = heartbeat->getArray("lines")->getObject(0);
            if (line->getValue<int>("calls") == 2 && line->getValue<int>("concurrency") == 2 &&
                line->getValue<std::string>("state") == "sending" && line->getArray("job_ids") &&
                line->getArray("job_ids")->size() == 2) {
                return true;
            }
        }
        return false;
    }));
    EXPECT_EQ(call("DELETE", "/v1/jobs/1", "", session).status, 202);
    EXPECT_EQ(call("DELETE", "/v1/jobs/2", "", session).status, 202);
    ASSERT_TRUE(eventually([&] { return postedRecords().size() == 2; }));
    for (const auto& record : postedRecords()) {
        EXPECT_EQ(record->getValue<std::string>("result"), "cancelled");
        EXPECT_EQ(record->getValue<std::string>("line"), "trunk");
    }
}

TEST_F(NodeEndToEndTest, HelloCarriesTheSettingsAndItsAnswerCanChangeThem) {
    settings::NodeSettings pushed = documentWith("sim-7");
    pushed.secret = "new-secret-for-node-1";
    gateway_.acceptSecret("new-secret-for-node-1");
    gateway_.setHelloSettings("{\"version\":5,\"settings\":" + settings::toJson(pushed, true) +
                              "}");
    startNode(makeConfig());
    ASSERT_TRUE(waitForHello());

    auto hello = parseObject(gateway_.requests("/node/v1/hello")[0].body);
    EXPECT_EQ(hello->getValue<int64_t>("settings_version"), 0);
    auto document = hello->getObject("settings");
    ASSERT_TRUE(document);
    EXPECT_EQ(document->getValue<std::string>("node_id"), "node-1");
    EXPECT_TRUE(document->getValue<bool>("secret_set"));
    EXPECT_FALSE(document->has("secret"));
    EXPECT_EQ(document->getArray("lines")->getObject(0)->getValue<std::string>("id"), "sim-1");

    // Applied before the first heartbeat, which reports the new version and lines.
    ASSERT_TRUE(eventually([&] { return !heartbeats().empty(); }));
    auto first = heartbeats()[0];
    EXPECT_EQ(first->getValue<int64_t>("settings_version"), 5);
    EXPECT_EQ(first->getArray("lines")->getObject(0)->getValue<std::string>("id"), "sim-7");
    std::optional<PersistedSettings> saved = loadSettingsFile(settingsFilePath(spoolDir_.path()));
    ASSERT_TRUE(saved);
    EXPECT_EQ(saved->version, 5);
    EXPECT_EQ(saved->settings.secret, "new-secret-for-node-1");

    // The next hello says who we are with the new secret.
    gateway_.setHelloSettings("");
    gateway_.forgetSession();
    ASSERT_TRUE(eventually([&] { return gateway_.requests("/node/v1/hello").size() >= 2; }));
    auto second = parseObject(gateway_.requests("/node/v1/hello")[1].body);
    EXPECT_EQ(second->getValue<std::string>("secret"), "new-secret-for-node-1");
    EXPECT_EQ(second->getValue<int64_t>("settings_version"), 5);
}

TEST_F(NodeEndToEndTest, RefusedHelloSettingsAreReportedInHeartbeats) {
    settings::NodeSettings bad = documentWith("sim-7");
    bad.lines[0].concurrency = 0;
    gateway_.setHelloSettings("{\"version\":7,\"settings\":" + settings::toJson(bad, false) + "}");
    startNode(makeConfig());
    ASSERT_TRUE(waitForHello());
    ASSERT_TRUE(eventually([&] { return !heartbeats().empty(); }));
    auto heartbeat = heartbeats()[0];
    EXPECT_EQ(heartbeat->getValue<int64_t>("settings_version"), 0);
    EXPECT_EQ(heartbeat->getValue<int64_t>("settings_error_version"), 7);
    EXPECT_EQ(heartbeat->getValue<std::string>("settings_error").rfind("lines[0].concurrency:", 0),
              0u)
        << heartbeat->getValue<std::string>("settings_error");
    EXPECT_EQ(heartbeat->getArray("lines")->getObject(0)->getValue<std::string>("id"), "sim-1");
    EXPECT_FALSE(std::filesystem::exists(spoolDir_.path() + "/settings.json"));

    // A version that applies ends the report.
    ASSERT_EQ(
        call("PUT", "/v1/settings", settingsBody(8, documentWith("sim-8")), gateway_.session())
            .status,
        200);
    size_t seen = heartbeats().size();
    ASSERT_TRUE(eventually([&] { return heartbeats().size() > seen + 1; }));
    EXPECT_FALSE(heartbeats().back()->has("settings_error"));
    EXPECT_EQ(heartbeats().back()->getValue<int64_t>("settings_version"), 8);
}

TEST_F(NodeEndToEndTest, PushedSettingsSurviveARestart) {
    startNode(makeConfig());
    ASSERT_TRUE(waitForHello());
    ASSERT_EQ(
        call("PUT", "/v1/settings", settingsBody(3, documentWith("sim-9")), gateway_.session())
            .status,
        200);
    node_->stop();
    node_.reset();

    startNode(makeConfig());  // the INI file still says sim-1
    ASSERT_TRUE(waitForHello());
    ASSERT_EQ(node_->lines().status().size(), 1u);
    EXPECT_EQ(node_->lines().status()[0].lineId, "sim-9");
    EXPECT_EQ(node_->settings().appliedVersion(), 3);
    auto hello = parseObject(gateway_.requests("/node/v1/hello").back().body);
    EXPECT_EQ(hello->getValue<int64_t>("settings_version"), 3);
    EXPECT_EQ(hello->getArray("lines")->getObject(0)->getValue<std::string>("id"), "sim-9");
}

TEST_F(NodeEndToEndTest, ABadSettingsFileStopsTheStartNamingIt) {
    std::string path = spoolDir_.path() + "/settings.json";
    testing::writeFile(path,
                       R"({"version":3,"settings":{"node_id":"node-1","lines":[{"id":""}]}})");
    FaxNode node(makeConfig());
    try {
        node.start();
        FAIL() << "started with a bad " << path;
    } catch (const std::exception& e) {
        EXPECT_EQ(std::string(e.what()).rfind(path + ": lines[0].id:", 0), 0u) << e.what();
    }
}

}  // namespace
}  // namespace faxgate::node
