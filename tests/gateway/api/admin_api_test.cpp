// The admin API over real loopback HTTP (ApiServer on port 0, a temporary SQLite store):
// authentication (401/403, tokens), each resource's happy path and validation errors, and
// the audit entries with masked secrets. The login slow-down policy is tested on its own
// with a fake clock (LoginThrottle), without sleeping.
#include <gtest/gtest.h>

#include "gateway/api/admin_auth.h"
#include "tests/gateway/api/admin_api_test_support.h"

namespace faxgate::gateway {
namespace {

using Poco::JSON::Object;
using Answer = testing::ApiAnswer;
using testing::basicAuthorization;

class AdminApiTest : public testing::ApiServerTest {
  protected:
    void SetUp() override {
        ApiServerTest::SetUp();
        addUser("root", Role::Admin);
        addUser("demo", Role::User);
        addNode("node-1", "http://127.0.0.1:9", "right-secret", 10);
        ApiServerOptions options;
        options.maxRequestBytes = 4096;
        startApi({}, options);
    }
};

TEST_F(AdminApiTest, NoOrBadCredentialsGet401AndANonAdmin403) {
    Answer none = call("GET", "/api/v1/users", "", "");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.wwwAuthenticate, "Basic realm=\"faxgate\"");
    Answer wrong = call("GET", "/api/v1/users", "", basicAuthorization("root", "nope"));
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.error(), "wrong user ID or password");
    EXPECT_EQ(call("GET", "/api/v1/users", "", basicAuthorization("ghost", "x")).status, 401);
    EXPECT_EQ(call("GET", "/api/v1/users", "", "Bearer 1234").status, 401);
    Answer user = call("GET", "/api/v1/users", "", basicAuthorization("demo", "demo-pw"));
    EXPECT_EQ(user.status, 403);
    EXPECT_NE(user.error().find("not an administrator"), std::string::npos);
    EXPECT_EQ(call("GET", "/api/v1/users").status, 200);
}

TEST_F(AdminApiTest, LoginGivesABearerToken) {
    EXPECT_EQ(call("POST", "/api/v1/login", R"({"user":"root","password":"bad"})", "").status, 401);
    EXPECT_EQ(call("POST", "/api/v1/login", R"({"user":"demo","password":"demo-pw"})", "").status,
              403);
    Answer login = call("POST", "/api/v1/login", R"({"user":"root","password":"root-pw"})", "");
    ASSERT_EQ(login.status, 200);
    const std::string token = login.body->getValue<std::string>("token");
    EXPECT_EQ(token.size(), 64u);
    EXPECT_GT(login.body->getValue<int64_t>("expires_ms"),
              Poco::Timestamp().epochMicroseconds() / 1000 + 3500 * 1000);
    EXPECT_EQ(call("GET", "/api/v1/nodes", "", "Bearer " + token).status, 200);
}

TEST_F(AdminApiTest, UsersAddShowChangeWithValidation) {
    Answer added = call("POST", "/api/v1/users",
                        R"({"id":"alice","password":"s3cret","email":"alice@example.com",)"
                        R"("resolution":"normal","cover_page":false,"default_node":"node-1"})");
    ASSERT_EQ(added.status, 201) << added.error();
    EXPECT_FALSE(added.body->has("password"));
    EXPECT_FALSE(added.body->has("password_hash"));
    auto alice = store_->findUser("alice");
    ASSERT_TRUE(alice);
    EXPECT_TRUE(verifyPassword("s3cret", alice->passwordHash));
    EXPECT_EQ(alice->resolution, "normal");
    EXPECT_FALSE(alice->coverPage);

    EXPECT_EQ(call("POST", "/api/v1/users", R"({"id":"alice","password":"x"})").status, 409);
    struct Bad {
        std::string body, field;
    };
    for (const Bad& bad : std::vector<Bad>{
             {R"({"id":"bob"})", "password"},
             {R"({"id":"b b","password":"x"})", "id"},
             {R"({"id":"bob","password":"x","email":"nobody"})", "email"},
             {R"({"id":"bob","password":"x","resolution":"ultra"})", "resolution"},
             {R"({"id":"bob","password":"x","role":"god"})", "role"},
             {R"({"id":"bob","password":"x","default_node":"node-9"})", "default_node"},
             {R"({"id":"bob","password":"x","cover_page":"yes"})", "cover_page"},
             {R"({"id":"bob","password":"x","colour":"red"})", "colour"}}) {
        Answer a = call("POST", "/api/v1/users", bad.body);
        EXPECT_EQ(a.status, 400) << bad.body;
        EXPECT_NE(a.error().find("'" + bad.field + "'"), std::string::npos) << a.error();
    }
    EXPECT_FALSE(store_->findUser("bob"));

    Answer changed = call("PATCH", "/api/v1/users/alice",
                          R"({"password":"n3w","email":"a@example.org","role":"admin"})");
    ASSERT_EQ(changed.status, 200) << changed.error();
    EXPECT_EQ(changed.body->getValue<std::string>("role"), "admin");
    EXPECT_TRUE(verifyPassword("n3w", store_->findUser("alice")->passwordHash));
    EXPECT_EQ(call("GET", "/api/v1/users/alice").body->getValue<std::string>("email"),
              "a@example.org");
    EXPECT_EQ(call("GET", "/api/v1/users/nobody").status, 404);
    EXPECT_EQ(call("PATCH", "/api/v1/users/alice", R"({"resolution":"x"})").status, 400);

    Answer list = call("GET", "/api/v1/users");
    EXPECT_EQ(list.body->getArray("users")->size(), 3u);

    auto audit = store_->listAuditEntries(10);
    ASSERT_EQ(audit.size(), 2u);
    EXPECT_EQ(audit[0].action, "user.change");
    EXPECT_EQ(audit[0].adminUser, "root");
    EXPECT_EQ(audit[0].clientAddress, "127.0.0.1");
    EXPECT_EQ(audit[0].target, "alice");
    EXPECT_NE(audit[0].changes.find(R"("password":"***")"), std::string::npos) << audit[0].changes;
    EXPECT_NE(audit[0].changes.find("a@example.org"), std::string::npos);
    EXPECT_EQ(audit[0].changes.find("n3w"), std::string::npos);
    EXPECT_EQ(audit[1].action, "user.add");
    EXPECT_EQ(audit[1].changes.find("s3cret"), std::string::npos);
}

TEST_F(AdminApiTest, TheLastAdministratorKeepsTheRole) {
    Answer a = call("PATCH", "/api/v1/users/root", R"({"role":"user"})");
    EXPECT_EQ(a.status, 409);
    EXPECT_EQ(store_->findUser("root")->role, Role::Admin);
}

TEST_F(AdminApiTest, NodesAddChangeShowLiveStateAndPriority) {
    Answer added = call("POST", "/api/v1/nodes",
                        R"({"id":"node-2","url":"http://127.0.0.1:10","secret":"another-secret",)"
                        R"("max_dials":5,"busy_retry_ms":500})");
    ASSERT_EQ(added.status, 201) << added.error();
    EXPECT_FALSE(added.body->has("secret"));
    EXPECT_EQ(added.body->getValue<int>("priority"), 20) << "a new node goes last";
    EXPECT_EQ(store_->findNode("node-2")->retry.maxDials, 5);
    EXPECT_EQ(store_->findNode("node-2")->secret, "another-secret");

    for (const char* bad :
         {R"({"id":"node-3","url":"ftp://x","secret":"another-secret"})",
          R"({"id":"node-3","url":"http://x","secret":"short"})",
          R"({"id":"node-3","url":"http://x","secret":"another-secret","max_dials":0})"}) {
        EXPECT_EQ(call("POST", "/api/v1/nodes", bad).status, 400) << bad;
    }
    EXPECT_EQ(call("POST", "/api/v1/nodes",
                   R"({"id":"node-2","url":"http://x","secret":"another-secret"})")
                  .status,
              409);

    HelloRequest hello;
    hello.nodeId = "node-1";
    hello.secret = "right-secret";
    hello.url = "http://127.0.0.1:9";
    hello.software = "fax-node test";
    hello.lines = {{"sim-1", "sending", 42}, {"sim-2", "idle", 0}};
    ASSERT_EQ(registry_->hello(hello).httpStatus, 200);
    Answer shown = call("GET", "/api/v1/nodes/node-1");
    ASSERT_EQ(shown.status, 200);
    EXPECT_TRUE(shown.body->getValue<bool>("online"));
    auto lines = shown.body->getArray("lines");
    ASSERT_EQ(lines->size(), 2u);
    EXPECT_EQ(lines->getObject(0)->getValue<std::string>("state"), "sending");
    EXPECT_EQ(lines->getObject(0)->getValue<int64_t>("job_id"), 42);
    EXPECT_GT(shown.body->getValue<int64_t>("last_heartbeat_ms"), 0);
    EXPECT_FALSE(call("GET", "/api/v1/nodes/node-2").body->getValue<bool>("online"));

    Answer changed =
        call("PATCH", "/api/v1/nodes/node-1", R"({"secret":"rotated-secret","keep_free":1})");
    ASSERT_EQ(changed.status, 200) << changed.error();
    EXPECT_EQ(store_->findNode("node-1")->secret, "rotated-secret");
    EXPECT_EQ(call("PATCH", "/api/v1/nodes/node-9", R"({"keep_free":1})").status, 404);

    EXPECT_EQ(call("PUT", "/api/v1/priority", R"({"order":["node-2","node-2"]})").status, 400);
    EXPECT_EQ(call("PUT", "/api/v1/priority", R"({"order":["node-7"]})").status, 400);
    Answer order = call("PUT", "/api/v1/priority", R"({"order":["node-2"]})");
    ASSERT_EQ(order.status, 200) << order.error();
    auto nodes = store_->listNodes();
    ASSERT_EQ(nodes.size(), 2u);
    EXPECT_EQ(nodes[0].id, "node-2");
    EXPECT_EQ(nodes[0].priority, 10);
    EXPECT_EQ(nodes[1].priority, 20);

    auto audit = store_->listAuditEntries(10);
    ASSERT_EQ(audit.size(), 3u);
    EXPECT_EQ(audit[0].action, "priority.set");
    EXPECT_EQ(audit[1].action, "node.change");
    EXPECT_NE(audit[1].changes.find(R"("secret":"***")"), std::string::npos);
    EXPECT_EQ(audit[1].changes.find("rotated"), std::string::npos);
    EXPECT_EQ(audit[2].action, "node.add");
    EXPECT_EQ(audit[2].changes.find("another-secret"), std::string::npos);

    Answer log = call("GET", "/api/v1/audit?limit=2");
    ASSERT_EQ(log.status, 200);
    auto entries = log.body->getArray("entries");
    ASSERT_EQ(entries->size(), 2u);
    EXPECT_EQ(entries->getObject(0)->getValue<std::string>("action"), "priority.set");
    EXPECT_TRUE(entries->getObject(0)->getObject("changes"));
}

TEST_F(AdminApiTest, JobsListShowCancelRetryAndRecords) {
    NewSubmission s;
    s.owner = "demo";
    s.rawMessage = "Subject: t\r\n\r\nx\r\n";
    s.subject = "hello";
    s.numbers = {"0311111111", "0322222222"};
    s.killTimeMs = 3600 * 1000;
    s.createdMs = Poco::Timestamp().epochMicroseconds() / 1000;
    const int64_t submission = store_->commitSubmissions({s}).at(0);
    store_->storeDocument(submission, "TIFF", 1, s.createdMs);
    scheduler_->submissionReady(submission);  // no node online: the jobs stay queued
    const auto jobs = store_->jobsOfSubmission(submission);

    Answer list = call("GET", "/api/v1/jobs?owner=demo&active=1&limit=10");
    ASSERT_EQ(list.status, 200) << list.error();
    EXPECT_EQ(list.body->getArray("jobs")->size(), 2u);
    EXPECT_EQ(call("GET", "/api/v1/jobs?state=bogus").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/jobs?limit=0").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/jobs?colour=red").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/jobs?owner=nobody").body->getArray("jobs")->size(), 0u);

    const std::string job = "/api/v1/jobs/" + std::to_string(jobs[0].id);
    Answer shown = call("GET", job);
    ASSERT_EQ(shown.status, 200);
    EXPECT_EQ(shown.body->getValue<std::string>("state"), "queued");
    EXPECT_EQ(shown.body->getValue<std::string>("subject"), "hello");
    EXPECT_EQ(shown.body->getArray("attempts")->size(), 0u);
    EXPECT_EQ(call("GET", "/api/v1/jobs/999999").status, 404);

    EXPECT_EQ(call("POST", job + "/retry").status, 409) << "a queued job is not retried";
    Answer cancelled = call("POST", job + "/cancel");
    ASSERT_EQ(cancelled.status, 200) << cancelled.error();
    EXPECT_EQ(cancelled.body->getValue<std::string>("state"), "cancelled");
    EXPECT_EQ(call("POST", job + "/cancel").status, 409);
    Answer retried = call("POST", job + "/retry");
    ASSERT_EQ(retried.status, 200) << retried.error();
    EXPECT_EQ(retried.body->getValue<std::string>("state"), "queued");
    EXPECT_EQ(call("GET", job + "/cancel").status, 405);

    auto audit = store_->listAuditEntries(10);
    ASSERT_EQ(audit.size(), 2u);
    EXPECT_EQ(audit[0].action, "job.retry");
    EXPECT_EQ(audit[1].action, "job.cancel");
    EXPECT_EQ(audit[1].target, std::to_string(jobs[0].id));

    for (int i = 1; i <= 3; ++i) {
        CommunicationRecord r;
        r.recordId = "r" + std::to_string(i);
        r.direction = i == 3 ? "receive" : "send";
        r.jobId = i == 3 ? 0 : jobs[0].id;
        r.attempt = 1;
        r.nodeId = i == 2 ? "node-2" : "node-1";
        r.number = i == 1 ? "0311111111" : "0399999999";
        r.result = "ok";
        r.startedMs = 1000 * i;
        store_->addRecord(r);
    }
    auto ids = [&](const std::string& query) {
        Answer a = call("GET", "/api/v1/records" + query);
        EXPECT_EQ(a.status, 200) << query << ": " << a.error();
        std::string out;
        if (a.status != 200) return out;
        auto records = a.body->getArray("records");
        for (size_t i = 0; i < records->size(); ++i) {
            out += records->getObject(static_cast<unsigned>(i))->getValue<std::string>("record_id");
        }
        return out;
    };
    EXPECT_EQ(ids(""), "r3r2r1");
    EXPECT_EQ(ids("?node=node-1"), "r3r1");
    EXPECT_EQ(ids("?number=0311111111"), "r1");
    EXPECT_EQ(ids("?direction=receive"), "r3");
    EXPECT_EQ(ids("?job=" + std::to_string(jobs[0].id)), "r2r1");
    EXPECT_EQ(ids("?since_ms=2000&until_ms=3000"), "r2");
    EXPECT_EQ(ids("?limit=1"), "r3");
    EXPECT_EQ(call("GET", "/api/v1/records?direction=up").status, 400);

    // By user: the calls of the user's jobs and the faxes routed to the user (whole IDs).
    for (auto [id, routedTo] : {std::pair{"r4", "root,demo"}, std::pair{"r5", "demo2"}}) {
        CommunicationRecord r;
        r.recordId = id;
        r.direction = "receive";
        r.nodeId = "node-1";
        r.number = "0355555555";
        r.result = "ok";
        r.routedTo = routedTo;
        r.startedMs = 4000;
        store_->addRecord(r);
    }
    EXPECT_EQ(ids("?user=demo"), "r4r2r1");
    EXPECT_EQ(ids("?user=root"), "r4");
    EXPECT_EQ(ids("?user=demo&direction=receive"), "r4");
    EXPECT_EQ(ids("?user=nobody"), "");
    EXPECT_EQ(call("GET", "/api/v1/records?since_ms=yesterday").status, 400);
}

TEST_F(AdminApiTest, BodiesAndPathsAreBounded) {
    Answer big = call("POST", "/api/v1/users",
                      R"({"id":"x","password":")" + std::string(5000, 'p') + R"("})");
    EXPECT_EQ(big.status, 413);
    EXPECT_EQ(call("POST", "/api/v1/users", "[1]").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/nothing").status, 404);
    EXPECT_EQ(call("DELETE", "/api/v1/users/demo").status, 405);
}

TEST(LoginThrottleTest, DelaysDoubleAfterThreeFailuresAndSuccessResets) {
    LoginThrottle throttle;
    int64_t now = 1'000'000;
    for (int i = 0; i < 3; ++i) {
        ThrottleDecision d = throttle.beginAttempt("10.0.0.1", now);
        EXPECT_FALSE(d.refuse);
        EXPECT_EQ(d.waitMs, 0) << "failure " << i;
        throttle.finishAttempt("10.0.0.1", false, now);
    }
    std::vector<int64_t> waits;
    for (int i = 0; i < 7; ++i) {
        ThrottleDecision d = throttle.beginAttempt("10.0.0.1", now);
        waits.push_back(d.waitMs);
        now += d.waitMs;
        throttle.finishAttempt("10.0.0.1", false, now);
    }
    EXPECT_EQ(waits, (std::vector<int64_t>{1000, 2000, 4000, 8000, 16000, 30000, 30000}));
    EXPECT_EQ(throttle.beginAttempt("10.0.0.2", now).waitMs, 0) << "other addresses unaffected";
    throttle.finishAttempt("10.0.0.2", true, now);

    // Time that passes counts towards the delay.
    EXPECT_EQ(throttle.beginAttempt("10.0.0.1", now + 10000).waitMs, 20000);
    // While that attempt waits, another from the same address is refused at once.
    EXPECT_TRUE(throttle.beginAttempt("10.0.0.1", now + 10000).refuse);
    throttle.finishAttempt("10.0.0.1", true, now + 30000);
    EXPECT_EQ(throttle.failures("10.0.0.1"), 0);
    ThrottleDecision fresh = throttle.beginAttempt("10.0.0.1", now + 30000);
    EXPECT_FALSE(fresh.refuse);
    EXPECT_EQ(fresh.waitMs, 0);
}

TEST(LoginThrottleTest, QuietAddressesAreForgottenAndMemoryIsBounded) {
    LoginThrottleOptions options;
    options.maxTrackedAddresses = 2;
    LoginThrottle throttle(options);
    for (int i = 0; i < 5; ++i) throttle.finishAttempt("a", false, 0);
    EXPECT_EQ(throttle.beginAttempt("a", options.forgetAfterMs + 1).waitMs, 0);
    EXPECT_EQ(throttle.failures("a"), 0);
    throttle.finishAttempt("b", false, 1);
    throttle.finishAttempt("c", false, 2);
    throttle.finishAttempt("d", false, 3);
    EXPECT_EQ(throttle.failures("b"), 0) << "the oldest address was dropped";
    EXPECT_EQ(throttle.failures("d"), 1);
}

TEST(AdminTokensTest, TokensExpireAfterTheirLifetime) {
    AdminTokens tokens;
    int64_t expires = 0;
    const std::string token = tokens.issue("root", 1000, &expires);
    EXPECT_EQ(expires, 1000 + 3600 * 1000);
    EXPECT_EQ(tokens.userOf(token, 2000).value_or(""), "root");
    EXPECT_FALSE(tokens.userOf(token, expires));
    EXPECT_FALSE(tokens.userOf("", 2000));
    EXPECT_NE(tokens.issue("root", 1000, nullptr), tokens.issue("root", 1000, nullptr));
}

}  // namespace
}  // namespace faxgate::gateway
