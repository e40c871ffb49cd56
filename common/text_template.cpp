// Expansion of {{name}} placeholders and {{#name}}...{{/name}} sections; see text_template.h.
#include "common/text_template.h"

#include <fstream>
#include <sstream>

namespace faxgate {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

const std::string& valueOf(const TemplateValues& values, std::string_view name) {
    auto it = values.find(std::string(name));
    if (it == values.end()) {
        throw TemplateError("template placeholder {{" + std::string(name) + "}} has no value");
    }
    return it->second;
}

}  // namespace

std::string expandTemplate(std::string_view text, const TemplateValues& values) {
    std::string out;
    out.reserve(text.size() + 256);
    size_t pos = 0;
    while (pos < text.size()) {
        size_t open = text.find("{{", pos);
        if (open == std::string_view::npos) {
            out.append(text.substr(pos));
            break;
        }
        out.append(text.substr(pos, open - pos));
        size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos) {
            throw TemplateError("template has an unclosed {{ at offset " + std::to_string(open));
        }
        std::string_view tag = trim(text.substr(open + 2, close - open - 2));
        pos = close + 2;
        if (!tag.empty() && tag.front() == '#') {
            std::string_view name = trim(tag.substr(1));
            std::string endTag = "{{/" + std::string(name) + "}}";
            size_t end = text.find(endTag, pos);
            if (end == std::string_view::npos) {
                throw TemplateError("template section {{#" + std::string(name) +
                                    "}} is not closed");
            }
            size_t bodyStart = pos;
            bool tagOwnsLine = (open == 0 || text[open - 1] == '\n');
            if (tagOwnsLine && bodyStart < end && text[bodyStart] == '\n') ++bodyStart;
            if (!valueOf(values, name).empty()) {
                out += expandTemplate(text.substr(bodyStart, end - bodyStart), values);
            }
            pos = end + endTag.size();
            // A section on lines of its own leaves no empty line behind.
            if (pos < text.size() && text[pos] == '\n' && (out.empty() || out.back() == '\n')) {
                ++pos;
            }
        } else if (!tag.empty() && tag.front() == '/') {
            throw TemplateError("template closes {{" + std::string(tag) + "}} that was not opened");
        } else {
            out += valueOf(values, tag);
        }
    }
    return out;
}

std::string loadTemplate(const std::string& directory, const std::string& name) {
    std::ifstream in(directory + "/" + name, std::ios::binary);
    if (!in) throw TemplateError("cannot read template " + directory + "/" + name);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace faxgate
