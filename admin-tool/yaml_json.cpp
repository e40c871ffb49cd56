// YAML <-> JSON for settings documents; see yaml_json.h for the mapping of types.
#include "admin-tool/yaml_json.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

namespace faxgate::admin {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// --- JSON -> YAML ---------------------------------------------------------------------

Object::Ptr asObject(const Var& value) {
    if (value.type() == typeid(Object::Ptr)) return value.extract<Object::Ptr>();
    if (value.type() == typeid(Object)) return new Object(value.extract<Object>());
    return nullptr;
}

Array::Ptr asArray(const Var& value) {
    if (value.type() == typeid(Array::Ptr)) return value.extract<Array::Ptr>();
    if (value.type() == typeid(Array)) return new Array(value.extract<Array>());
    return nullptr;
}

// The shortest text that reads back as the same double, always with '.' or an exponent so it
// reads back as a float and not as an integer.
std::string floatText(double value) {
    if (std::isnan(value)) return ".nan";
    if (std::isinf(value)) return value > 0 ? ".inf" : "-.inf";
    char buffer[64];
    auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    std::string text(buffer, error == std::errc() ? end : buffer);
    if (text.find_first_of(".eE") == std::string::npos) text += ".0";
    return text;
}

void emit(YAML::Emitter& out, const Var& value, size_t depth) {
    if (depth > kMaxDocumentDepth) {
        throw DocumentError("the document is nested deeper than " +
                            std::to_string(kMaxDocumentDepth) + " levels");
    }
    if (Object::Ptr object = asObject(value)) {
        if (object->size() == 0) out << YAML::Flow;  // {} rather than a dangling key
        out << YAML::BeginMap;
        for (const std::string& key : object->getNames()) {
            out << YAML::Key << key << YAML::Value;
            emit(out, object->get(key), depth + 1);
        }
        out << YAML::EndMap;
    } else if (Array::Ptr array = asArray(value)) {
        if (array->size() == 0) out << YAML::Flow;
        out << YAML::BeginSeq;
        for (size_t i = 0; i < array->size(); ++i)
            emit(out, array->get(static_cast<unsigned>(i)), depth + 1);
        out << YAML::EndSeq;
    } else if (value.isEmpty()) {
        out << YAML::Null;
    } else if (value.isBoolean()) {
        out << value.convert<bool>();
    } else if (value.isInteger()) {
        if (value.isSigned()) {
            out << value.convert<int64_t>();
        } else {
            out << value.convert<uint64_t>();
        }
    } else if (value.isNumeric()) {
        out << floatText(value.convert<double>());
    } else {  // strings, and anything else as its text: quoted, so it stays a string
        out << YAML::DoubleQuoted << value.convert<std::string>();
    }
}

// --- YAML -> JSON ---------------------------------------------------------------------

const std::string kTagString = "tag:yaml.org,2002:str";
const std::string kTagInt = "tag:yaml.org,2002:int";
const std::string kTagFloat = "tag:yaml.org,2002:float";
const std::string kTagBool = "tag:yaml.org,2002:bool";
const std::string kTagNull = "tag:yaml.org,2002:null";

std::string where(const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return "";
    return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1) +
           ": ";
}

std::optional<bool> booleanOf(const std::string& text) {
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    return std::nullopt;
}

bool isNullText(const std::string& text) {
    return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

std::optional<int64_t> integerOf(const std::string& text, bool lenient) {
    // Strict (plain scalars): -?(0|[1-9][0-9]*). Lenient (!!int): also a leading '+' or zeros.
    static const std::regex strict("-?(0|[1-9][0-9]*)");
    static const std::regex loose("[-+]?[0-9]+");
    if (!std::regex_match(text, lenient ? loose : strict)) return std::nullopt;
    const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
    int64_t value = 0;
    auto [end, error] = std::from_chars(begin, text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<double> floatOf(const std::string& text, bool lenient) {
    static const std::regex strict(
        "-?(0|[1-9][0-9]*)(\\.[0-9]+([eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)");
    static const std::regex loose("[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?");
    if (text == ".nan" || text == ".NaN" || text == ".NAN") {
        return std::numeric_limits<double>::quiet_NaN();
    }
    if (text == ".inf" || text == ".Inf" || text == ".INF" || text == "+.inf") {
        return std::numeric_limits<double>::infinity();
    }
    if (text == "-.inf" || text == "-.Inf" || text == "-.INF") {
        return -std::numeric_limits<double>::infinity();
    }
    if (!std::regex_match(text, lenient ? loose : strict)) return std::nullopt;
    const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
    double value = 0;
    auto [end, error] = std::from_chars(begin, text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// Converts one parsed YAML document; counts the values it makes (aliases let a small file
// expand without bound). One conversion, one thread.
class YamlReader {
  public:
    Var convert(const YAML::Node& node, size_t depth) {
        if (depth > kMaxDocumentDepth) {
            throw DocumentError(where(node) + "the document is nested deeper than " +
                                std::to_string(kMaxDocumentDepth) + " levels");
        }
        if (++values_ > kMaxDocumentValues) {
            throw DocumentError("the document has more than " + std::to_string(kMaxDocumentValues) +
                                " values");
        }
        switch (node.Type()) {
            case YAML::NodeType::Undefined:
            case YAML::NodeType::Null:
                return scalar(node, true);
            case YAML::NodeType::Scalar:
                return scalar(node, false);
            case YAML::NodeType::Sequence: {
                checkCollectionTag(node, "tag:yaml.org,2002:seq");
                Array::Ptr array = new Array;
                for (const YAML::Node& item : node) array->add(convert(item, depth + 1));
                return array;
            }
            case YAML::NodeType::Map: {
                checkCollectionTag(node, "tag:yaml.org,2002:map");
                Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                std::set<std::string> seen;
                for (const auto& entry : node) {
                    if (!entry.first.IsScalar()) {
                        throw DocumentError(where(entry.first) +
                                            "a key must be a plain value, not a list or map");
                    }
                    const std::string key = entry.first.Scalar();
                    if (!seen.insert(key).second) {
                        throw DocumentError(where(entry.first) + "key '" + key + "' appears twice");
                    }
                    object->set(key, convert(entry.second, depth + 1));
                }
                return object;
            }
        }
        throw DocumentError(where(node) + "unknown YAML node");
    }

  private:
    static void checkCollectionTag(const YAML::Node& node, const std::string& allowed) {
        const std::string& tag = node.Tag();
        if (!tag.empty() && tag != "?" && tag != "!" && tag != allowed) {
            throw DocumentError(where(node) + "unsupported tag '" + tag + "'");
        }
    }

    static Var scalar(const YAML::Node& node, bool isNull) {
        const std::string& tag = node.Tag();
        const std::string text = isNull ? std::string() : node.Scalar();
        if (tag == "!" || tag == kTagString) return text;  // quoted, block or !!str
        if (tag.empty() || tag == "?") {                   // plain: resolve by content
            if (isNull || isNullText(text)) return Var();
            if (auto b = booleanOf(text)) return *b;
            if (auto i = integerOf(text, false)) return *i;
            if (auto f = floatOf(text, false)) return *f;
            return text;
        }
        if (tag == kTagNull) {
            if (isNull || isNullText(text)) return Var();
        } else if (tag == kTagBool) {
            if (auto b = booleanOf(text)) return *b;
        } else if (tag == kTagInt) {
            if (auto i = integerOf(text, true)) return *i;
        } else if (tag == kTagFloat) {
            if (auto f = floatOf(text, true)) return *f;
        } else {
            throw DocumentError(where(node) + "unsupported tag '" + tag + "'");
        }
        throw DocumentError(where(node) + "'" + text + "' is not a valid " +
                            tag.substr(tag.rfind(':') + 1));
    }

    size_t values_ = 0;
};

// --- JSON text -------------------------------------------------------------------------
// Our own writer rather than Poco's Stringifier: Poco escapes '/' (URLs become http:\/\/),
// and its pretty printer spreads empty arrays and objects over several lines.

void writeJsonString(std::string& out, const std::string& text) {
    out += '"';
    for (const char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
                    out += escaped;
                } else {
                    out += c;  // UTF-8 as it is
                }
        }
    }
    out += '"';
}

void writeJson(std::string& out, const Var& value, unsigned indent, size_t depth) {
    if (depth > kMaxDocumentDepth) {
        throw DocumentError("the document is nested deeper than " +
                            std::to_string(kMaxDocumentDepth) + " levels");
    }
    auto newline = [&](size_t level) {
        if (indent == 0) return;
        out += '\n';
        out.append(level * indent, ' ');
    };
    if (Object::Ptr object = asObject(value)) {
        const auto names = object->getNames();
        out += '{';
        for (size_t i = 0; i < names.size(); ++i) {
            if (i) out += ',';
            newline(depth + 1);
            writeJsonString(out, names[i]);
            out += indent ? ": " : ":";
            writeJson(out, object->get(names[i]), indent, depth + 1);
        }
        if (!names.empty()) newline(depth);
        out += '}';
    } else if (Array::Ptr array = asArray(value)) {
        out += '[';
        for (size_t i = 0; i < array->size(); ++i) {
            if (i) out += ',';
            newline(depth + 1);
            writeJson(out, array->get(static_cast<unsigned>(i)), indent, depth + 1);
        }
        if (array->size() > 0) newline(depth);
        out += ']';
    } else if (value.isEmpty()) {
        out += "null";
    } else if (value.isBoolean()) {
        out += value.convert<bool>() ? "true" : "false";
    } else if (value.isInteger()) {
        out += value.isSigned() ? std::to_string(value.convert<int64_t>())
                                : std::to_string(value.convert<uint64_t>());
    } else if (value.isNumeric()) {
        const double number = value.convert<double>();
        out += std::isfinite(number) ? floatText(number) : "null";  // JSON has no NaN
    } else {  // strings, and anything else as its text
        writeJsonString(out, value.convert<std::string>());
    }
}

}  // namespace

std::string jsonToYaml(const Var& value) {
    YAML::Emitter out;
    out.SetIndent(2);
    out.SetOutputCharset(YAML::EmitNonAscii);
    emit(out, value, 0);
    if (!out.good()) throw DocumentError("cannot write YAML: " + out.GetLastError());
    return std::string(out.c_str()) + "\n";
}

Var yamlToJson(const std::string& text) {
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(text);
    } catch (const YAML::Exception& e) {
        std::string message = e.msg;
        if (!e.mark.is_null()) {
            message = "line " + std::to_string(e.mark.line + 1) + ", column " +
                      std::to_string(e.mark.column + 1) + ": " + message;
        }
        throw DocumentError("not valid YAML: " + message);
    }
    if (documents.empty()) throw DocumentError("the YAML document is empty");
    if (documents.size() > 1) {
        throw DocumentError("the file holds " + std::to_string(documents.size()) +
                            " YAML documents; give one");
    }
    return YamlReader().convert(documents[0], 0);
}

Var parseJson(const std::string& text) {
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        return parser.parse(text);
    } catch (const Poco::Exception& e) {
        throw DocumentError("not valid JSON: " + e.message());
    }
}

Var parseDocument(const std::string& text, const std::string& fileName) {
    auto endsWith = [&](const std::string& suffix) {
        return fileName.size() >= suffix.size() &&
               fileName.compare(fileName.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (endsWith(".json")) return parseJson(text);
    if (endsWith(".yaml") || endsWith(".yml")) return yamlToJson(text);
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) {
        return parseJson(text);
    }
    return yamlToJson(text);
}

std::string jsonToText(const Var& value, unsigned indent) {
    std::string out;
    writeJson(out, value, indent, 0);
    return out;
}

}  // namespace faxgate::admin
