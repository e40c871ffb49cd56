// The gateway's node-protocol listener over real loopback HTTP: hello with the shared
// secret, heartbeats, records applied to jobs, and the JSON refusals for everything else.
#include "gateway/api/api_server.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <filesystem>

namespace faxgate::gateway {
namespace {

struct Answer {
    int status = 0;
    Poco::JSON::Object::Ptr body;
};

class ApiServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        path_ = std::filesystem::temp_directory_path() /
                ("api-test-" + std::to_string(::getpid()) + ".db");
        std::filesystem::remove(path_);
        store_ = openSqliteStore(path_.string());
        Node node;
        node.id = "node-1";
        node.url = "http://127.0.0.1:9";
        node.secret = "right-secret";
        store_->upsertNode(node);
        registry_ = std::make_unique<NodeRegistry>(*store_, NodeRegistryOptions{}, [] {
            return Poco::Timestamp().epochMicroseconds() / 1000;
        });
        scheduler_ = std::make_unique<Scheduler>(
            *store_, *registry_, SchedulerOptions{},
            [this](int64_t id) { finished_.push_back(id); },
            [] { return Poco::Timestamp().epochMicroseconds() / 1000; });
        registry_->setOnChange([this] { changes_++; });
        ApiServerOptions options;
        options.port = 0;
        options.maxRequestBytes = 4096;
        server_ = std::make_unique<ApiServer>(options, *store_, *registry_, *scheduler_);
        server_->start();
    }
    void TearDown() override {
        server_.reset();
        scheduler_.reset();
        registry_.reset();
        store_.reset();
        for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
    }

    Answer call(const std::string& method, const std::string& path, const std::string& body,
                const std::string& bearer = "") {
        Poco::Net::HTTPClientSession client("127.0.0.1", server_->port());
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        if (!bearer.empty()) request.set("Authorization", "Bearer " + bearer);
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        client.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::string text;
        Poco::StreamCopier::copyToString(client.receiveResponse(response), text);
        Answer answer;
        answer.status = response.getStatus();
        EXPECT_EQ(response.getContentType(), "application/json") << path;
        answer.body = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
        return answer;
    }

    std::string hello(const std::string& secret = "right-secret") {
        Answer a =
            call("POST", "/node/v1/hello",
                 R"({"node_id":"node-1","secret":")" + secret +
                     R"(","url":"http://127.0.0.1:9","lines":[{"id":"sim-1","state":"idle"}]})");
        return a.status == 200 ? a.body->getValue<std::string>("session") : "";
    }

    std::filesystem::path path_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<NodeRegistry> registry_;
    std::unique_ptr<Scheduler> scheduler_;
    std::unique_ptr<ApiServer> server_;
    std::vector<int64_t> finished_;
    int changes_ = 0;
};

TEST_F(ApiServerTest, HelloNeedsTheRightSecretAndAKnownNode) {
    Answer wrong =
        call("POST", "/node/v1/hello", R"({"node_id":"node-1","secret":"nope","lines":[]})");
    EXPECT_EQ(wrong.status, 401);
    EXPECT_NE(wrong.body->getValue<std::string>("error").find("secret"), std::string::npos);
    Answer unknown = call("POST", "/node/v1/hello",
                          R"({"node_id":"node-9","secret":"right-secret","lines":[]})");
    EXPECT_EQ(unknown.status, 403);
    EXPECT_TRUE(registry_->nodeStatuses().empty());

    std::string session = hello();
    ASSERT_FALSE(session.empty());
    auto statuses = registry_->nodeStatuses();
    ASSERT_EQ(statuses.count("node-1"), 1u);
    EXPECT_TRUE(statuses["node-1"].online);
    EXPECT_EQ(statuses["node-1"].idleLines, 1);
    EXPECT_GT(changes_, 0);
}

TEST_F(ApiServerTest, HeartbeatUpdatesLineStatesAndNeedsASession) {
    EXPECT_EQ(call("POST", "/node/v1/heartbeat", R"({"lines":[]})", "bogus").status, 401);
    std::string session = hello();
    Answer ok = call(
        "POST", "/node/v1/heartbeat",
        R"({"node_id":"node-1","lines":[{"id":"sim-1","state":"sending","job_id":4}]})", session);
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(registry_->nodeStatuses()["node-1"].idleLines, 0);
    int before = changes_;
    call("POST", "/node/v1/heartbeat", R"({"lines":[{"id":"sim-1","state":"idle"}]})", session);
    EXPECT_EQ(registry_->nodeStatuses()["node-1"].idleLines, 1);
    EXPECT_GT(changes_, before) << "a freed line wakes the scheduler";
    Answer bad =
        call("POST", "/node/v1/heartbeat", R"({"lines":[{"id":"x","state":"dancing"}]})", session);
    EXPECT_EQ(bad.status, 400);
}

TEST_F(ApiServerTest, RecordsNeedASessionOfTheSameNodeAndValidFields) {
    const std::string record =
        R"({"record_id":"r1","direction":"send","job_id":5,"attempt":1,"node_id":"node-1",)"
        R"("result":"ok","pages":1,"pages_total":1})";
    EXPECT_EQ(call("POST", "/node/v1/records", record).status, 401);
    std::string session = hello();
    Answer other = call("POST", "/node/v1/records",
                        R"({"record_id":"r2","direction":"send","job_id":5,"attempt":1,)"
                        R"("node_id":"node-2","result":"ok"})",
                        session);
    EXPECT_EQ(other.status, 403);
    Answer badResult = call("POST", "/node/v1/records",
                            R"({"record_id":"r3","direction":"send","job_id":5,"attempt":1,)"
                            R"("node_id":"node-1","result":"splendid"})",
                            session);
    EXPECT_EQ(badResult.status, 400);
    EXPECT_NE(badResult.body->getValue<std::string>("error").find("result"), std::string::npos);

    // A record for a job this gateway does not know is kept, and acknowledged.
    Answer unmatched = call("POST", "/node/v1/records", record, session);
    EXPECT_EQ(unmatched.status, 200);
    EXPECT_EQ(unmatched.body->getValue<std::string>("disposition"), "unmatched");
    EXPECT_TRUE(store_->hasRecord("r1"));
    Answer again = call("POST", "/node/v1/records", record, session);
    EXPECT_EQ(again.body->getValue<std::string>("disposition"), "duplicate");
}

TEST_F(ApiServerTest, MalformedOversizedAndUnknownRequestsGetJsonErrors) {
    EXPECT_EQ(call("POST", "/node/v1/hello", "{not json").status, 400);
    EXPECT_EQ(call("POST", "/node/v1/hello", "[1,2]").status, 400);
    EXPECT_EQ(call("POST", "/node/v1/hello", R"({"node_id":"node-1"})").status, 400);
    EXPECT_EQ(call("POST", "/node/v1/hello", std::string(5000, ' ')).status, 413);
    EXPECT_EQ(call("GET", "/node/v1/hello", "").status, 405);
    EXPECT_EQ(call("GET", "/nowhere", "").status, 404);
    EXPECT_EQ(call("GET", "/v1/health", "").status, 200);
}

}  // namespace
}  // namespace faxgate::gateway
