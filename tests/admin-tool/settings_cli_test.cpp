// fax-admin's settings commands (node get/set/status/versions/rollback, routing, user-nodes,
// gateway-settings, history), the nodes list's drift column, the HTTPS options and --help on
// every command, without a network: a scripted transport answers per request and records
// what was sent.
#include <Poco/JSON/Object.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/admin-tool/admin_cli_test_support.h"

namespace faxgate::admin {
namespace {

class SettingsCliTest : public testing::CliTest {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("fax-admin-test-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string file(const std::string& name, const std::string& text) {
        const std::string path = (dir_ / name).string();
        std::ofstream(path) << text;
        return path;
    }

    std::filesystem::path dir_;
};

const char* const kNodeStatus =
    R"({"version": 4, "applied_version": 3, "applied_ms": 1700000000000, "in_sync": false,)"
    R"( "error": "", "settings": {"version": 4, "node_id": "tokyo-1", "secret_set": true,)"
    R"( "time_zone": "Asia/Tokyo", "lines": [{"id": "sim-1", "number": "0312345678",)"
    R"( "station_id": "+81 3 1234 5001", "header": "", "ecm": true, "max_bit_rate": 14400}]}})";

TEST_F(SettingsCliTest, NodeGetPrintsTheEditableDocument) {
    answers_["GET /api/v1/nodes/tokyo-1/settings"] = {200, kNodeStatus};
    ASSERT_EQ(run({"node", "get", "tokyo-1"}), kExitOk) << err_.str();
    auto document = parseJson(out_.str()).extract<Poco::JSON::Object::Ptr>();
    EXPECT_EQ(document->getNames().front(), "version");
    EXPECT_EQ(document->getValue<int64_t>("version"), 4);
    EXPECT_FALSE(document->has("applied_version")) << "status fields are not part of it";
    EXPECT_FALSE(document->has("settings"));
    EXPECT_EQ(document->getArray("lines")->getObject(0)->getValue<std::string>("number"),
              "0312345678");
    EXPECT_NE(err_.str().find("has applied version 3, not 4"), std::string::npos) << err_.str();

    ASSERT_EQ(run({"node", "get", "tokyo-1", "-o", "yaml"}), kExitOk) << err_.str();
    EXPECT_EQ(out_.str().substr(0, 11), "version: 4\n");
    EXPECT_NE(out_.str().find("number: \"0312345678\""), std::string::npos) << out_.str();
    EXPECT_NE(out_.str().find("header: \"\""), std::string::npos) << out_.str();

    EXPECT_EQ(run({"node", "get", "tokyo-1", "-o", "xml"}), kExitUsage);
    EXPECT_EQ(run({"--json", "node", "get", "tokyo-1", "-o", "yaml"}), kExitUsage);
    EXPECT_EQ(run({"node", "get"}), kExitUsage);
    EXPECT_TRUE(sent_.empty());
}

TEST_F(SettingsCliTest, NodeSetSendsTheYamlFileWithItsTypesAndReportsThePush) {
    const std::string path = file("n.yaml",
                                  "version: 4\n"
                                  "node_id: tokyo-1\n"
                                  "lines:\n"
                                  "  - id: sim-1\n"
                                  "    number: 0312345678\n"  // unquoted: still a string
                                  "    station_id: \"+81 3 1234 5001\"\n"
                                  "    ecm: false\n"
                                  "    max_bit_rate: 9600\n");
    answers_["PUT /api/v1/nodes/tokyo-1/settings"] = {
        201, R"({"version": 5, "pushed": true, "applied_version": 5, "push_error": ""})"};
    ASSERT_EQ(run({"node", "set", "tokyo-1", "-f", path}), kExitOk) << err_.str();
    ASSERT_EQ(sent_.size(), 1u);
    EXPECT_EQ(sent_[0].method, "PUT");
    auto body = sentBody(0);
    EXPECT_EQ(body->getValue<int64_t>("version"), 4);
    auto line = body->getArray("lines")->getObject(0);
    EXPECT_EQ(line->getValue<std::string>("number"), "0312345678");
    EXPECT_TRUE(line->get("max_bit_rate").isInteger());
    EXPECT_FALSE(line->getValue<bool>("ecm"));
    EXPECT_EQ(out_.str(), "node tokyo-1: registered version 5; applied by the node\n");

    answers_["PUT /api/v1/nodes/tokyo-1/settings"] = {
        201, R"({"version": 6, "pushed": false, "applied_version": 5, "push_error": ""})"};
    ASSERT_EQ(run({"node", "set", "tokyo-1", "-f", path}), kExitOk);
    EXPECT_NE(out_.str().find("version 6; the node is offline: it gets it at its next hello"),
              std::string::npos)
        << out_.str();

    answers_["PUT /api/v1/nodes/tokyo-1/settings"] = {
        201, R"({"version": 7, "pushed": true, "applied_version": 6,)"
             R"( "push_error": "lines[0].driver: expected sim, got sip"})"};
    EXPECT_EQ(run({"node", "set", "tokyo-1", "-f", path}), kExitRefused);
    EXPECT_NE(out_.str().find("the node refused it: lines[0].driver"), std::string::npos);

    answers_["PUT /api/v1/nodes/tokyo-1/settings"] = {
        409, R"({"error": "version 4 is not the latest, 9 is", "latest_version": 9})"};
    EXPECT_EQ(run({"node", "set", "tokyo-1", "-f", path}), kExitRefused);
    EXPECT_NE(err_.str().find("someone registered version 9 meanwhile: get again"),
              std::string::npos)
        << err_.str();

    answers_["PUT /api/v1/nodes/tokyo-1/settings"] = {
        422, R"({"error": "lines[0].max_bit_rate: expected one of 2400, ..., got 9000"})"};
    EXPECT_EQ(run({"node", "set", "tokyo-1", "-f", path}), kExitRefused);
    EXPECT_NE(err_.str().find("lines[0].max_bit_rate"), std::string::npos);
}

TEST_F(SettingsCliTest, DocumentFilesAreCheckedBeforeAnythingIsSent) {
    EXPECT_EQ(run({"routing", "set"}), kExitUsage) << "no -f";
    EXPECT_NE(err_.str().find("-f FILE"), std::string::npos) << err_.str();
    EXPECT_EQ(run({"routing", "set", "-f", (dir_ / "missing.json").string()}), kExitUsage);
    const std::string bad = file("bad.yaml", "rules:\n  - called: [1, 2\n");
    EXPECT_EQ(run({"routing", "set", "-f", bad}), kExitUsage);
    EXPECT_NE(err_.str().find("bad.yaml: not valid YAML: line "), std::string::npos) << err_.str();
    const std::string list = file("list.json", "[1, 2]");
    EXPECT_EQ(run({"routing", "set", "-f", list}), kExitUsage);
    EXPECT_TRUE(sent_.empty());
}

TEST_F(SettingsCliTest, RoutingSetReadsStdinAndStaleVersionsExitOne) {
    answers_["PUT /api/v1/routing"] = {200, R"({"version": 3, "rules": [], "default": [],)"
                                            R"( "blocked": []})"};
    ASSERT_EQ(run({"--password-stdin", "routing", "set", "-f", "-"},
                  "secret-pw\n{\"version\": 2, \"rules\": [], \"default\": [\"alice\"]}\n"),
              kExitOk)
        << err_.str();
    EXPECT_EQ(connection_.password, "secret-pw");
    EXPECT_EQ(sent_.at(0).path, "/api/v1/routing");
    EXPECT_EQ(sent_.at(0).body, R"({"version":2,"rules":[],"default":["alice"]})");
    EXPECT_EQ(out_.str(), "routing table: registered version 3\n");

    answers_["PUT /api/v1/routing"] = {409, R"({"error": "stale", "version": 4})"};
    EXPECT_EQ(run({"routing", "set", "-f", file("r.json", R"({"version": 2})")}), kExitRefused);
    EXPECT_EQ(err_.str(),
              "fax-admin: someone registered version 4 meanwhile: get again (fax-admin routing "
              "get)\n");
}

TEST_F(SettingsCliTest, VersionsHistoryAndRollback) {
    const char* versions =
        R"([{"version": 2, "time_ms": 1700000100000, "admin": "admin", "address": "127.0.0.1",)"
        R"( "action": "routing.set"}, {"version": 1, "time_ms": 1700000000000, "admin": "bob",)"
        R"( "address": "::1", "action": "routing.set"}])";
    answers_["GET /api/v1/settings/routing/versions"] = {200, versions};
    ASSERT_EQ(run({"routing", "versions"}), kExitOk) << err_.str();
    EXPECT_NE(out_.str().find("VERSION  TIME"), std::string::npos) << out_.str();
    EXPECT_NE(out_.str().find("\n2        "), std::string::npos) << out_.str();
    EXPECT_NE(out_.str().find("bob    ::1        routing.set"), std::string::npos) << out_.str();
    ASSERT_EQ(run({"--json", "routing", "versions"}), kExitOk);
    EXPECT_EQ(parseJson(out_.str()).extract<Poco::JSON::Array::Ptr>()->size(), 2u);

    answers_["GET /api/v1/settings/node:tokyo-1/versions"] = {
        200, std::string(R"({"versions": )") + versions + "}"};
    ASSERT_EQ(run({"history", "node:tokyo-1"}), kExitOk) << err_.str();
    EXPECT_NE(out_.str().find("127.0.0.1"), std::string::npos);
    ASSERT_EQ(run({"node", "versions", "tokyo-1"}), kExitOk) << err_.str();
    EXPECT_EQ(sent_.at(0).path, "/api/v1/settings/node:tokyo-1/versions");

    answers_["GET /api/v1/settings/routing/versions/1"] = {
        200, R"({"version": 1, "default": ["0312345678"]})"};
    ASSERT_EQ(run({"history", "routing", "1", "-o", "yaml"}), kExitOk) << err_.str();
    EXPECT_EQ(out_.str(), "version: 1\ndefault:\n  - \"0312345678\"\n");
    ASSERT_EQ(run({"routing", "show-version", "1"}), kExitOk);
    EXPECT_EQ(sent_.at(0).path, "/api/v1/settings/routing/versions/1");

    answers_["POST /api/v1/settings/routing/versions/1/restore"] = {201, R"({"version": 3})"};
    ASSERT_EQ(run({"routing", "rollback", "1"}), kExitOk) << err_.str();
    EXPECT_EQ(out_.str(),
              "routing table: version 1 restored\nrouting table: registered version 3\n");
    answers_["POST /api/v1/settings/node:tokyo-1/versions/2/restore"] = {
        201, R"({"version": 8, "pushed": false, "applied_version": 7, "push_error": ""})"};
    ASSERT_EQ(run({"node", "rollback", "tokyo-1", "2"}), kExitOk) << err_.str();
    EXPECT_NE(out_.str().find("node tokyo-1: registered version 8; the node is offline"),
              std::string::npos)
        << out_.str();
    answers_["POST /api/v1/settings/priority/versions/1/restore"] = {201, R"({"version": 2})"};
    ASSERT_EQ(run({"priority", "rollback", "1"}), kExitOk) << err_.str();

    EXPECT_EQ(run({"routing", "rollback", "one"}), kExitUsage);
    EXPECT_EQ(run({"routing", "rollback", "0"}), kExitUsage);
    EXPECT_EQ(run({"history", "everything"}), kExitUsage);
    EXPECT_EQ(run({"history", "users", "-o", "yaml"}), kExitUsage) << "-o needs N";
    EXPECT_TRUE(sent_.empty());
}

TEST_F(SettingsCliTest, GatewaySettingsShowWhatNeedsARestart) {
    answers_["GET /api/v1/gateway-settings"] = {
        200, R"({"version": 2, "settings": {"http": {"port": 8443}},)"
             R"( "restart_required": ["http.port"]})"};
    ASSERT_EQ(run({"gateway-settings", "get"}), kExitOk) << err_.str();
    auto document = parseJson(out_.str()).extract<Poco::JSON::Object::Ptr>();
    EXPECT_FALSE(document->has("restart_required"));
    EXPECT_EQ(document->getValue<int64_t>("version"), 2);
    EXPECT_NE(err_.str().find("waiting for a restart of the gateway: http.port"),
              std::string::npos);

    answers_["PUT /api/v1/gateway-settings"] = {
        200, R"({"version": 3, "settings": {}, "restart_required": ["http.port", "smtp.port"]})"};
    const std::string path = file("g.yml", "version: 2\nsettings:\n  smtp:\n    port: 2525\n");
    ASSERT_EQ(run({"gateway-settings", "set", "-f", path}), kExitOk) << err_.str();
    EXPECT_EQ(sentBody(0)->getObject("settings")->getObject("smtp")->getValue<int>("port"), 2525);
    EXPECT_EQ(out_.str(),
              "gateway settings: registered version 3\n"
              "restart the gateway for these to take effect: http.port, smtp.port\n");
}

TEST_F(SettingsCliTest, NodeStatusAndTheNodesListShowDrift) {
    answers_["GET /api/v1/nodes/tokyo-1/settings"] = {200, kNodeStatus};
    ASSERT_EQ(run({"node", "status", "tokyo-1"}), kExitOk) << err_.str();
    EXPECT_NE(out_.str().find("desired     version 4"), std::string::npos) << out_.str();
    EXPECT_NE(out_.str().find("applied     version 3"), std::string::npos) << out_.str();
    EXPECT_NE(out_.str().find("drift"), std::string::npos);
    EXPECT_NE(out_.str().find("last_error  -\n"), std::string::npos) << out_.str();
    answers_["GET /api/v1/nodes/tokyo-1/settings"] = {
        200, R"({"version": 5, "applied_version": 4, "in_sync": false, "error_version": 5,)"
             R"( "error": "time_zone: unknown zone Mars/Olympus", "settings": {}})"};
    ASSERT_EQ(run({"node", "status", "tokyo-1"}), kExitOk) << err_.str();
    EXPECT_NE(out_.str().find("last_error  version 5 refused: time_zone: unknown zone"),
              std::string::npos)
        << out_.str();
    answers_["GET /api/v1/nodes/tokyo-1/settings"] = {200, kNodeStatus};
    ASSERT_EQ(run({"--json", "node", "status", "tokyo-1"}), kExitOk);
    auto status = parseJson(out_.str()).extract<Poco::JSON::Object::Ptr>();
    EXPECT_EQ(status->getValue<int64_t>("applied_version"), 3);
    EXPECT_FALSE(status->has("settings"));

    answers_["GET /api/v1/nodes"] = {
        200, R"({"nodes": [)"
             R"({"id": "tokyo-1", "priority": 1, "online": true, "keep_free": 0, "url": "u1",)"
             R"( "lines": [{"id": "a", "state": "sending", "job_id": 9},)"
             R"( {"id": "b", "state": "idle", "job_id": 0}, {"id": "c", "state": "idle"}]},)"
             R"({"id": "osaka-1", "priority": 2, "online": true, "keep_free": 0, "url": "u2",)"
             R"( "lines": [{"id": "a", "state": "idle"}], "settings": {"version": 2,)"
             R"( "applied_version": 2, "in_sync": true}},)"
             R"({"id": "new-1", "priority": 3, "online": false, "keep_free": 0, "url": "u3",)"
             R"( "lines": []}]})"};
    ASSERT_EQ(run({"nodes"}), kExitOk) << err_.str();
    // tokyo-1's drift was asked for (no "settings" in the list), osaka-1's was in the list,
    // new-1 has none registered (404).
    ASSERT_EQ(sent_.size(), 3u);
    EXPECT_EQ(sent_[1].path, "/api/v1/nodes/tokyo-1/settings");
    EXPECT_NE(out_.str().find("BUSY/IDLE"), std::string::npos) << out_.str();
    EXPECT_NE(out_.str().find("SETTINGS"), std::string::npos) << out_.str();
    EXPECT_NE(out_.str().find("a:sending(job 9) b:idle c:idle  1/2"), std::string::npos)
        << out_.str();
    EXPECT_NE(out_.str().find("desired v4, applied v3"), std::string::npos) << out_.str();
    EXPECT_NE(out_.str().find("in sync (v2)"), std::string::npos) << out_.str();
    EXPECT_NE(out_.str().find("new-1    3         offline  -"), std::string::npos) << out_.str();
    ASSERT_EQ(run({"--json", "nodes", "list"}), kExitOk);
    EXPECT_EQ(sent_.size(), 1u) << "--json prints the gateway's list as it is";
}

TEST_F(SettingsCliTest, CaFileAndInsecureComeFromOptionsEnvironmentOrConfig) {
    answers_["GET /api/v1/audit?limit=100"] = {200, R"({"entries": []})"};
    vars_["FAXGATE_URL"] = "https://gw.example:8443";
    ASSERT_EQ(run({"--ca-file", "/etc/ca.pem", "audit"}), kExitOk) << err_.str();
    EXPECT_EQ(connection_.caFile, "/etc/ca.pem");
    EXPECT_FALSE(connection_.insecure);
    EXPECT_EQ(err_.str(), "");
    vars_["FAXGATE_CA_FILE"] = "/env/ca.pem";
    ASSERT_EQ(run({"audit"}), kExitOk);
    EXPECT_EQ(connection_.caFile, "/env/ca.pem");
    vars_.erase("FAXGATE_CA_FILE");
    const std::string ini =
        file("admin.ini", "url = https://gw.example:8443\nca_file = /ini/ca.pem\n");
    ASSERT_EQ(run({"--config", ini, "audit"}), kExitOk);
    EXPECT_EQ(connection_.caFile, "/ini/ca.pem");
    ASSERT_EQ(run({"--insecure", "audit"}), kExitOk);
    EXPECT_TRUE(connection_.insecure);
    EXPECT_NE(err_.str().find("warning: --insecure"), std::string::npos) << err_.str();
}

TEST(AdminCliHttpsTest, AMissingCaFileIsAUsageError) {
    std::ostringstream out, err;
    std::istringstream in("pw\n");
    CliEnvironment env;
    env.out = &out;
    env.err = &err;
    env.in = &in;
    env.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    EXPECT_EQ(runAdminCli({"--url", "https://127.0.0.1:1", "--user", "u", "--password-stdin",
                           "--ca-file", "/nonexistent/ca.pem", "audit"},
                          env),
              kExitUsage);
    EXPECT_NE(err.str().find("CA file '/nonexistent/ca.pem' does not exist"), std::string::npos)
        << err.str();
}

// Every command listed by --help answers --help itself with its usage line.
TEST_F(SettingsCliTest, EveryCommandHasHelp) {
    ASSERT_EQ(run({"--help"}), kExitOk);
    std::istringstream listing(out_.str());
    std::string line;
    int commands = 0;
    bool inList = false;
    while (std::getline(listing, line)) {
        if (line.rfind("Commands", 0) == 0) {
            inList = true;
            continue;
        }
        if (!inList) continue;
        if (line.empty()) break;
        std::istringstream words(line);
        std::vector<std::string> args;
        std::string word;
        while (words >> word && std::islower(static_cast<unsigned char>(word[0])) &&
               word.find(':') == std::string::npos) {
            args.push_back(word);
            if (args.size() == 2) break;
        }
        const std::string name = args.size() == 2 ? args[0] + " " + args[1] : args.at(0);
        args.push_back("--help");
        EXPECT_EQ(run(args), kExitOk) << name << ": " << err_.str();
        EXPECT_NE(out_.str().find("usage: fax-admin [global options] " + name), std::string::npos)
            << name << ": " << out_.str();
        ++commands;
    }
    EXPECT_GE(commands, 40);
    for (const char* group : {"node", "routing", "user-nodes", "gateway-settings", "priority"}) {
        ASSERT_EQ(run({group, "--help"}), kExitOk) << group;
        EXPECT_NE(out_.str().find(std::string("fax-admin ") + group + " versions"),
                  std::string::npos)
            << out_.str();
    }
    EXPECT_TRUE(sent_.empty());
}

}  // namespace
}  // namespace faxgate::admin
