// Tests of the node settings document (common/node_settings.h): every field's refusal names
// its path, unknown fields are refused, JSON -> struct -> JSON is stable, the secret is
// written only on request.
#include "common/node_settings.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace faxgate::settings {
namespace {

// A complete, valid document in the order toJson() writes it.
const char* kFullDocument =
    R"({"version":3,"node_id":"tokyo-1","url":"http://10.0.0.21:8081","secret":"s3cret-value",)"
    R"("time_zone":"Asia/Tokyo","keep_lines_for_receive":1,)"
    R"("retry":{"busy_retry_ms":180000,"failure_retry_ms":300000,"max_dials":12,)"
    R"("max_connected_tries":3,"kill_time_ms":10800000},)"
    R"("lines":[{"id":"sim-1","driver":"sim","number":"0312345001",)"
    R"("station_id":"+81 3 1234 5001","header":"ACME Tokyo","max_bit_rate":14400,"ecm":true,)"
    R"("resolution":"fine","dial_prefix":"0","concurrency":2,)"
    R"("sim":{"dial_ms":1000,"page_ms":3000,"busy":"^0399","no_answer":"","no_carrier":"",)"
    R"("fail":"","fail_after_pages":0,"remote_csid":"","exchange_dir":"/tmp/exchange"}},)"
    R"({"id":"sim-2","driver":"sim","number":"","station_id":"","header":"",)"
    R"("max_bit_rate":9600,"ecm":false,"resolution":"standard","dial_prefix":"",)"
    R"("concurrency":1,"sim":{"dial_ms":0,"page_ms":0,"busy":"","no_answer":"",)"
    R"("no_carrier":"","fail":"","fail_after_pages":0,"remote_csid":"","exchange_dir":""}}]})";

NodeSettings minimal() {
    NodeSettings settings;
    settings.nodeId = "n1";
    LineSettings line;
    line.id = "sim-1";
    settings.lines.push_back(line);
    return settings;
}

// The message of the SettingsError that parsing `json` throws ("" if none).
std::string refusal(const std::string& json) {
    try {
        parseNodeSettings(json);
    } catch (const SettingsError& e) {
        return e.what();
    }
    return "";
}

// A minimal document with `lineField` (`"key": value` text) added to its one line.
std::string withLineField(const std::string& lineField) {
    return R"({"node_id":"n1","lines":[{"id":"sim-1",)" + lineField + "}]}";
}

std::string withSimField(const std::string& simField) {
    return withLineField(R"("sim":{)" + simField + "}");
}

std::string withRootField(const std::string& field) {
    return R"({"node_id":"n1","lines":[{"id":"sim-1"}],)" + field + "}";
}

TEST(NodeSettings, ParsesTheFullDocument) {
    NodeSettings settings = parseNodeSettings(kFullDocument);
    EXPECT_EQ(settings.version, 3);
    EXPECT_EQ(settings.nodeId, "tokyo-1");
    EXPECT_EQ(settings.url, "http://10.0.0.21:8081");
    EXPECT_EQ(settings.secret, "s3cret-value");
    EXPECT_EQ(settings.timeZone, "Asia/Tokyo");
    EXPECT_EQ(settings.keepLinesForReceive, 1);
    ASSERT_TRUE(settings.retry);
    EXPECT_EQ(settings.retry->maxDials, 12);
    EXPECT_EQ(settings.retry->killTimeMs, 10800000);
    ASSERT_EQ(settings.lines.size(), 2u);
    const LineSettings& line = settings.lines[0];
    EXPECT_EQ(line.id, "sim-1");
    EXPECT_EQ(line.stationId, "+81 3 1234 5001");
    EXPECT_EQ(line.dialPrefix, "0");
    EXPECT_EQ(line.concurrency, 2);
    EXPECT_EQ(line.sim.busyPattern, "^0399");
    EXPECT_EQ(line.sim.exchangeDir, "/tmp/exchange");
    EXPECT_EQ(settings.lines[1].resolution, "standard");
    EXPECT_FALSE(settings.lines[1].ecm);
}

TEST(NodeSettings, RoundTripIsStable) {
    NodeSettings parsed = parseNodeSettings(kFullDocument);
    EXPECT_EQ(toJson(parsed, /*includeSecret=*/true), kFullDocument);
    EXPECT_EQ(parseNodeSettings(toJson(parsed, true)), parsed);

    // Defaults fill in what a minimal document leaves out, and come back the same way.
    NodeSettings small = parseNodeSettings(R"({"node_id":"n1","lines":[{"id":"a"}]})");
    EXPECT_EQ(small.timeZone, "UTC");
    EXPECT_EQ(small.lines[0].maxBitRate, 14400);
    EXPECT_EQ(small.lines[0].resolution, "fine");
    EXPECT_EQ(small.lines[0].concurrency, 1);
    EXPECT_FALSE(small.url);
    EXPECT_FALSE(small.retry);
    std::string text = toJson(small, false);
    EXPECT_EQ(text.find("\"url\""), std::string::npos);
    EXPECT_EQ(text.find("\"retry\""), std::string::npos);
    EXPECT_EQ(toJson(parseNodeSettings(text), false), text);
}

TEST(NodeSettings, SecretOnlyWhenAskedFor) {
    NodeSettings settings = parseNodeSettings(kFullDocument);
    std::string without = toJson(settings, /*includeSecret=*/false);
    EXPECT_EQ(without.find("s3cret-value"), std::string::npos);
    EXPECT_NE(without.find(R"("secret_set":true)"), std::string::npos);
    // What the gateway answers can be sent back: secret_set is read-only and ignored.
    NodeSettings back = parseNodeSettings(without);
    EXPECT_FALSE(back.secret);

    std::string with = toJson(settings, true);
    EXPECT_NE(with.find(R"("secret":"s3cret-value")"), std::string::npos);
    EXPECT_EQ(with.find("secret_set"), std::string::npos);

    NodeSettings noSecret = minimal();
    EXPECT_EQ(toJson(noSecret, true).find("secret"), std::string::npos);
}

TEST(NodeSettings, UnknownFieldsAreRefusedWithTheirPath) {
    EXPECT_EQ(refusal(withRootField(R"("colour":"red")")), "colour: unknown field");
    EXPECT_EQ(refusal(withLineField(R"("station":"x")")), "lines[0].station: unknown field");
    EXPECT_EQ(refusal(withSimField(R"("page_time":1)")), "lines[0].sim.page_time: unknown field");
    EXPECT_EQ(refusal(withRootField(R"("retry":{"busy_retry_ms":1000,"failure_retry_ms":1000,)"
                                    R"("max_dials":1,"max_connected_tries":1,)"
                                    R"("kill_time_ms":60000,"extra":1})")),
              "retry.extra: unknown field");
}

TEST(NodeSettings, StructureErrors) {
    EXPECT_EQ(refusal("{not json").rfind("settings: not valid JSON", 0), 0u);
    EXPECT_EQ(refusal("[1]"), "settings: expected a JSON object, got an array");
    EXPECT_EQ(refusal(R"({"lines":[{"id":"a"}]})"), "node_id: required");
    EXPECT_EQ(refusal(R"({"node_id":"n1"})"), "lines: required");
    EXPECT_EQ(refusal(R"({"node_id":"n1","lines":[]})"), "lines: expected 1..256 lines, got 0");
    EXPECT_EQ(refusal(R"({"node_id":"n1","lines":{}})"), "lines: expected an array, got an object");
    EXPECT_EQ(refusal(R"({"node_id":"n1","lines":[7]})"), "lines[0]: expected an object, got 7");
    EXPECT_EQ(refusal(R"({"node_id":"n1","lines":[{}]})"), "lines[0].id: required");
    EXPECT_EQ(refusal(withRootField(R"("retry":{"busy_retry_ms":1000})")),
              "retry.failure_retry_ms: required");
}

TEST(NodeSettings, EveryFieldIsCheckedAndNamed) {
    // {document, the message's expected beginning}
    std::vector<std::pair<std::string, std::string>> cases = {
        {withRootField(R"("version":-1)"), "version: expected an integer >= 0"},
        {withRootField(R"("version":"3")"), "version: expected an integer, got \"3\""},
        {R"({"node_id":"bad id","lines":[{"id":"a"}]})", "node_id: expected 1..64 letters"},
        {R"({"node_id":7,"lines":[{"id":"a"}]})", "node_id: expected a string, got 7"},
        {withRootField(R"("url":"ftp://host/")"), "url: expected an http:// or https:// URL"},
        {withRootField(R"("url":"http://")"), "url: expected an http:// or https:// URL"},
        {withRootField(R"("url":"not a url at all")"), "url: expected an http:// or https://"},
        {withRootField(R"("secret":"short")"), "secret: expected 8..256 printable ASCII"},
        {withRootField(R"("secret_set":"yes")"), "secret_set: expected true or false"},
        {withRootField(R"("time_zone":"Mars/Olympus")"), "time_zone: expected an IANA time zone"},
        {withRootField(R"("time_zone":"../../etc/passwd")"), "time_zone: expected an IANA"},
        {withRootField(R"("time_zone":"/etc/localtime")"), "time_zone: expected an IANA"},
        {withRootField(R"("time_zone":"Asia")"), "time_zone: expected an IANA"},  // a directory
        {withRootField(R"("keep_lines_for_receive":1001)"),
         "keep_lines_for_receive: expected an integer 0..1000, got 1001"},
        {withRootField(R"("retry":5)"), "retry: expected an object, got 5"},
        {withRootField(R"("retry":{"busy_retry_ms":1,"failure_retry_ms":1000,"max_dials":1,)"
                       R"("max_connected_tries":1,"kill_time_ms":60000})"),
         "retry.busy_retry_ms: expected an integer 100..86400000, got 1"},
        {withRootField(R"("retry":{"busy_retry_ms":1000,"failure_retry_ms":1000,"max_dials":0,)"
                       R"("max_connected_tries":1,"kill_time_ms":60000})"),
         "retry.max_dials: expected an integer 1..1000, got 0"},
        {withRootField(R"("retry":{"busy_retry_ms":1000,"failure_retry_ms":1000,"max_dials":1,)"
                       R"("max_connected_tries":1,"kill_time_ms":1})"),
         "retry.kill_time_ms: expected an integer 60000..2592000000, got 1"},
        {R"({"node_id":"n1","lines":[{"id":"a/b"}]})", "lines[0].id: expected 1..64 letters"},
        {R"({"node_id":"n1","lines":[{"id":"a"},{"id":"a"}]})",
         "lines[1].id: duplicate line ID \"a\" (also lines[0])"},
        {withLineField(R"("driver":"sip")"), "lines[0].driver: expected one of sim, got \"sip\""},
        {withLineField(R"("number":"03-1234")"), "lines[0].number: expected digits"},
        {withLineField(R"("number":"+")"), "lines[0].number: expected digits"},
        {withLineField(R"("station_id":"123456789012345678901")"),
         "lines[0].station_id: expected at most 20 printable ASCII characters"},
        {withLineField(R"("station_id":"caf\u00e9")"), "lines[0].station_id: expected at most 20"},
        {withLineField(R"("header":"tab\there")"), "lines[0].header: expected at most 50"},
        {withLineField(R"("header":")" + std::string(51, 'x') + "\""),
         "lines[0].header: expected at most 50"},
        {withLineField(R"("max_bit_rate":9000)"),
         "lines[0].max_bit_rate: expected one of 2400, 4800, 7200, 9600, 12000, 14400, 33600, "
         "got 9000"},
        {withLineField(R"("max_bit_rate":14400.0)"), "lines[0].max_bit_rate: expected an integer"},
        {withLineField(R"("ecm":"yes")"), "lines[0].ecm: expected true or false, got \"yes\""},
        {withLineField(R"("ecm":1)"), "lines[0].ecm: expected true or false, got 1"},
        {withLineField(R"("resolution":"high")"),
         "lines[0].resolution: expected one of standard, fine, superfine, got \"high\""},
        {withLineField(R"("dial_prefix":"9a")"), "lines[0].dial_prefix: expected at most 16"},
        {withLineField(R"("concurrency":0)"),
         "lines[0].concurrency: expected an integer 1..256, got 0"},
        {withLineField(R"("concurrency":257)"),
         "lines[0].concurrency: expected an integer 1..256, got 257"},
        {withLineField(R"("sim":[])"), "lines[0].sim: expected an object, got an array"},
        {withSimField(R"("dial_ms":-1)"), "lines[0].sim.dial_ms: expected an integer 0..600000"},
        {withSimField(R"("page_ms":600001)"), "lines[0].sim.page_ms: expected an integer"},
        {withSimField(R"("busy":"(")"), "lines[0].sim.busy: not a valid regular expression"},
        {withSimField(R"("no_answer":"[")"), "lines[0].sim.no_answer: not a valid regular"},
        {withSimField(R"("no_carrier":"*")"), "lines[0].sim.no_carrier: not a valid regular"},
        {withSimField(R"("fail":"a{2,1}")"), "lines[0].sim.fail: not a valid regular"},
        {withSimField(R"("fail_after_pages":1001)"),
         "lines[0].sim.fail_after_pages: expected an integer 0..1000, got 1001"},
        {withSimField(R"("remote_csid":"\n")"), "lines[0].sim.remote_csid: expected at most 20"},
        {withSimField(R"("exchange_dir":"relative/dir")"),
         "lines[0].sim.exchange_dir: expected an absolute path"},
        {withSimField(R"("exchange_dir":"/tmp/x")"),
         "lines[0].sim.exchange_dir: needs the line's number"},
    };
    for (const auto& [document, expected] : cases) {
        std::string message = refusal(document);
        EXPECT_EQ(message.rfind(expected, 0), 0u)
            << "document: " << document << "\nmessage:  " << message << "\nexpected: " << expected
            << "...";
    }
}

TEST(NodeSettings, ValidValuesAtTheEdgesAreAccepted) {
    for (const std::string& document : {
             withRootField(R"("time_zone":"UTC")"),
             withRootField(R"("time_zone":"America/Argentina/Buenos_Aires")"),
             withRootField(R"("url":"https://node.example.com/")"),
             withRootField(R"("version":0,"secret_set":true)"),
             withLineField(R"("number":"+4930123","dial_prefix":"0,*#9","concurrency":256)"),
             withLineField(R"("header":"Tōkyō office ")"),
             withLineField(R"("station_id":"12345678901234567890")"),
             withSimField(R"("busy":"^0399.*$","fail_after_pages":1000,"page_ms":600000)"),
         }) {
        EXPECT_NO_THROW(parseNodeSettings(document)) << document;
    }
}

TEST(NodeSettings, ValidateChecksSettingsBuiltInCode) {
    NodeSettings settings = minimal();
    EXPECT_NO_THROW(validateNodeSettings(settings));
    settings.lines[0].concurrency = 0;
    EXPECT_THROW(validateNodeSettings(settings), SettingsError);
    settings = minimal();
    settings.secret = "0123456789";
    settings.lines.push_back(settings.lines[0]);
    try {
        validateNodeSettings(settings);
        FAIL() << "duplicate IDs accepted";
    } catch (const SettingsError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("lines[1].id: duplicate", 0), 0u) << e.what();
    }
    settings.lines.pop_back();
    settings.secret = "bad\nsecret-value";
    try {
        validateNodeSettings(settings);
        FAIL() << "control character in secret accepted";
    } catch (const SettingsError& e) {
        // The refused secret is never echoed.
        EXPECT_EQ(std::string(e.what()).find("secret-value"), std::string::npos);
    }
}

}  // namespace
}  // namespace faxgate::settings
