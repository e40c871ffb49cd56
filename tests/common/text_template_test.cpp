#include "common/text_template.h"

#include <gtest/gtest.h>

namespace faxgate {
namespace {

TEST(TextTemplate, ReplacesPlaceholders) {
    EXPECT_EQ(
        expandTemplate("To {{ number }}: {{pages}} pages", {{"number", "0312"}, {"pages", "3"}}),
        "To 0312: 3 pages");
}

TEST(TextTemplate, MissingValueIsAnErrorNamingIt) {
    try {
        expandTemplate("Hello {{who}}", {});
        FAIL() << "expected TemplateError";
    } catch (const TemplateError& e) {
        EXPECT_NE(std::string(e.what()).find("{{who}}"), std::string::npos);
    }
}

TEST(TextTemplate, SectionsKeepTextOnlyWhenValueIsSet) {
    const char* text = "A\n{{#reason}}\nReason: {{reason}}\n{{/reason}}\nB\n";
    EXPECT_EQ(expandTemplate(text, {{"reason", "busy"}}), "A\nReason: busy\nB\n");
    EXPECT_EQ(expandTemplate(text, {{"reason", ""}}), "A\nB\n");
}

TEST(TextTemplate, MalformedTemplatesAreErrors) {
    EXPECT_THROW(expandTemplate("x {{open", {}), TemplateError);
    EXPECT_THROW(expandTemplate("{{#a}} never closed", {{"a", "1"}}), TemplateError);
    EXPECT_THROW(expandTemplate("{{/a}}", {}), TemplateError);
}

}  // namespace
}  // namespace faxgate
