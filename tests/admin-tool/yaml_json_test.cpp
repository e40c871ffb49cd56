// YAML <-> JSON conversion of settings documents (admin-tool/yaml_json.h): round trips keep
// every JSON type, strings that look like numbers stay strings, hand-written YAML maps to the
// types an administrator means, and bad input is refused with its place.
#include "admin-tool/yaml_json.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <gtest/gtest.h>

namespace faxgate::admin {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr object(const Var& value) { return value.extract<Object::Ptr>(); }

const char* const kNodeDocument = R"({
  "version": 3,
  "node_id": "tokyo-1",
  "time_zone": "Asia/Tokyo",
  "keep_lines_for_receive": 0,
  "ratio": 0.25,
  "note": null,
  "lines": [
    {"id": "sim-1", "number": "0312345678", "station_id": "+81 3 1234", "header": "",
     "ecm": true, "max_bit_rate": 14400, "dial_prefix": "0", "flag_text": "true",
     "multi": "two\nlines: \"quoted\" #not a comment", "unicode": "東京 ü",
     "sim": {"busy": "^0399.*", "fail_after_pages": -1, "empty_map": {}, "empty_list": []}},
    {"id": "sim-2", "number": "", "nested": [[1, "1"], {"a": ["x", {"b": false}]}]}
  ]
})";

TEST(YamlJsonTest, JsonSurvivesARoundTripThroughYaml) {
    const Var original = parseJson(kNodeDocument);
    const std::string yaml = jsonToYaml(original);
    const Var back = yamlToJson(yaml);
    EXPECT_EQ(jsonToText(back, 0), jsonToText(original, 0)) << yaml;
    // The key order of the document is kept, not sorted.
    EXPECT_LT(yaml.find("version"), yaml.find("node_id")) << yaml;
    EXPECT_LT(yaml.find("node_id"), yaml.find("lines")) << yaml;
}

TEST(YamlJsonTest, StringsLookingLikeOtherTypesStayStrings) {
    const Var original = parseJson(kNodeDocument);
    const std::string yaml = jsonToYaml(original);
    EXPECT_NE(yaml.find("number: \"0312345678\""), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("station_id: \"+81 3 1234\""), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("header: \"\""), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("max_bit_rate: 14400\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("ecm: true\n"), std::string::npos) << yaml;

    const Object::Ptr line = object(yamlToJson(yaml))->getArray("lines")->getObject(0);
    EXPECT_TRUE(line->get("number").isString());
    EXPECT_EQ(line->getValue<std::string>("number"), "0312345678");
    EXPECT_EQ(line->getValue<std::string>("station_id"), "+81 3 1234");
    EXPECT_EQ(line->getValue<std::string>("header"), "");
    EXPECT_EQ(line->getValue<std::string>("dial_prefix"), "0");
    EXPECT_TRUE(line->get("flag_text").isString());
    EXPECT_TRUE(line->get("ecm").isBoolean());
    EXPECT_TRUE(line->get("max_bit_rate").isInteger());
    EXPECT_EQ(line->getValue<std::string>("multi"), "two\nlines: \"quoted\" #not a comment");
    EXPECT_EQ(line->getValue<std::string>("unicode"), "東京 ü");
    EXPECT_EQ(line->getObject("sim")->getValue<int64_t>("fail_after_pages"), -1);
}

TEST(YamlJsonTest, EmptyAndNestedCollections) {
    const std::string yaml = jsonToYaml(parseJson(R"({"a": {}, "b": [], "c": [[], [{}]],)"
                                                  R"( "d": [{"e": [1, 2]}]})"));
    EXPECT_EQ(jsonToText(yamlToJson(yaml), 0), R"({"a":{},"b":[],"c":[[],[{}]],"d":[{"e":[1,2]}]})")
        << yaml;
}

TEST(YamlJsonTest, HandWrittenYamlMapsToTheTypesMeant) {
    const Object::Ptr doc =
        object(yamlToJson("number: 0312345678\n"  // leading zero: a phone number, not an integer
                          "plus: +81312345678\n"  // leading '+': likewise
                          "count: 12\n"
                          "negative: -3\n"
                          "rate: 1.5\n"
                          "exp: 2e3\n"
                          "on: yes\n"  // YAML 1.1 booleans stay text
                          "ecm: True\n"
                          "off: FALSE\n"
                          "nothing: ~\n"
                          "empty:\n"
                          "quoted_int: '14400'\n"
                          "tagged: !!str 42\n"
                          "tagged_int: !!int \"007\"\n"
                          "block: |\n  line one\n  line two\n"
                          "list: [a, 1, \"2\"]\n"));
    EXPECT_EQ(doc->getValue<std::string>("number"), "0312345678");
    EXPECT_EQ(doc->getValue<std::string>("plus"), "+81312345678");
    EXPECT_TRUE(doc->get("count").isInteger());
    EXPECT_EQ(doc->getValue<int64_t>("count"), 12);
    EXPECT_EQ(doc->getValue<int64_t>("negative"), -3);
    EXPECT_DOUBLE_EQ(doc->getValue<double>("rate"), 1.5);
    EXPECT_DOUBLE_EQ(doc->getValue<double>("exp"), 2000.0);
    EXPECT_EQ(doc->getValue<std::string>("on"), "yes");
    EXPECT_TRUE(doc->getValue<bool>("ecm"));
    EXPECT_FALSE(doc->getValue<bool>("off"));
    EXPECT_TRUE(doc->isNull("nothing"));
    EXPECT_TRUE(doc->isNull("empty"));
    EXPECT_TRUE(doc->get("quoted_int").isString());
    EXPECT_EQ(doc->getValue<std::string>("tagged"), "42");
    EXPECT_EQ(doc->getValue<int64_t>("tagged_int"), 7);
    EXPECT_EQ(doc->getValue<std::string>("block"), "line one\nline two\n");
    EXPECT_EQ(jsonToText(doc->get("list"), 0), R"(["a",1,"2"])");
}

TEST(YamlJsonTest, FilesAreReadByExtensionOrContent) {
    EXPECT_EQ(jsonToText(parseDocument("{\"n\": \"01\"}", "x.json"), 0), R"({"n":"01"})");
    EXPECT_EQ(jsonToText(parseDocument("n: \"01\"\n", "x.yml"), 0), R"({"n":"01"})");
    EXPECT_EQ(jsonToText(parseDocument("n: 1\n", "x.yaml"), 0), R"({"n":1})");
    EXPECT_EQ(jsonToText(parseDocument("  {\"n\": 2}", "-"), 0), R"({"n":2})");
    EXPECT_EQ(jsonToText(parseDocument("n: 3\n", "settings.txt"), 0), R"({"n":3})");
    EXPECT_THROW(parseDocument("n: 1\n", "x.json"), DocumentError);
}

TEST(YamlJsonTest, BadYamlIsRefusedWithItsPlace) {
    try {
        yamlToJson("a: 1\nb: [1, 2\n");
        FAIL() << "no error";
    } catch (const DocumentError& e) {
        EXPECT_NE(std::string(e.what()).find("line "), std::string::npos) << e.what();
    }
    try {
        yamlToJson("a: 1\nb: 2\na: 3\n");
        FAIL() << "no error";
    } catch (const DocumentError& e) {
        EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("'a' appears twice"), std::string::npos) << e.what();
    }
    EXPECT_THROW(yamlToJson("a: 1\n---\nb: 2\n"), DocumentError);
    EXPECT_THROW(yamlToJson("a: !!int twelve\n"), DocumentError);
    EXPECT_THROW(yamlToJson("a: !custom 1\n"), DocumentError);
    EXPECT_THROW(yamlToJson("? [1, 2]\n: x\n"), DocumentError);
    EXPECT_THROW(yamlToJson(""), DocumentError);
    // Aliases that expand without bound ("billion laughs") stop at the value limit.
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char previous = 'a';
    for (char name = 'b'; name <= 'h'; ++name) {
        bomb += std::string(1, name) + ": &" + name + " [";
        for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + previous;
        bomb += "]\n";
        previous = name;
    }
    EXPECT_THROW(yamlToJson(bomb), DocumentError);
}

}  // namespace
}  // namespace faxgate::admin
