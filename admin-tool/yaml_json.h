// Settings documents as files: YAML <-> JSON (Poco::JSON values) for fax-admin's `-o yaml`
// and `-f FILE`, and reading a file that is either.
//
// The conversion is faithful in both directions for the JSON types:
// - out: strings are always double-quoted scalars, so "0312345678", "+81 3 1234", "true" and
//   "" read back as strings; integers, floats, true/false and null are plain; objects keep
//   their key order; empty objects and arrays are {} and [].
// - in: a quoted or block scalar (|, >) is a string; a plain scalar is null (~, null, empty),
//   a boolean (true/false, True/False, TRUE/FALSE), an integer (decimal without leading zeros
//   or sign other than '-', so a phone number like 0312345678 or +81312345678 stays a string
//   even unquoted), a float (decimal with '.' or an exponent), else a string. yes/no/on/off
//   are strings (YAML 1.2, not 1.1). The tags !!str, !!int, !!float, !!bool and !!null are
//   obeyed; any other tag is an error.
//
// Diagnostics: DocumentError with the place ("line 3, column 7: ...") for syntax errors,
// non-scalar or duplicate keys, several documents in one file, nesting deeper than
// kMaxDocumentDepth and documents that expand (through aliases) beyond kMaxDocumentValues.
#pragma once

#include <Poco/Dynamic/Var.h>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace faxgate::admin {

class DocumentError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

inline constexpr size_t kMaxDocumentDepth = 64;
inline constexpr size_t kMaxDocumentValues = 1000000;

// A JSON value (Object::Ptr, Array::Ptr, string, number, bool, empty = null) as YAML text
// ending in a newline.
std::string jsonToYaml(const Poco::Dynamic::Var& value);

// YAML text as a JSON value; objects are Poco::JSON::Object::Ptr keeping the file's key order.
Poco::Dynamic::Var yamlToJson(const std::string& text);

// JSON text as a JSON value keeping the key order; DocumentError on a syntax error.
Poco::Dynamic::Var parseJson(const std::string& text);

// A document file's text by its name: .json is JSON, .yaml/.yml is YAML, anything else
// (stdin, .txt) is JSON if its first non-blank character is '{' or '[', else YAML.
Poco::Dynamic::Var parseDocument(const std::string& text, const std::string& fileName);

// JSON text of a value, `indent` spaces per level or on one line (0); objects in their key
// order, '/' not escaped, UTF-8 as it is, empty objects and arrays as {} and [].
std::string jsonToText(const Poco::Dynamic::Var& value, unsigned indent = 2);

}  // namespace faxgate::admin
