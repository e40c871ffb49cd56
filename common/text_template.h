// Text templates for mails and cover pages (templates/*.txt). A template is plain text with
// `{{name}}` placeholders; expandTemplate() replaces each with its value. A placeholder with no
// value is an error, so a typo in a template shows at once instead of as a blank in a fax.
// `{{#name}}...{{/name}}` keeps the enclosed text only when `name` has a non-empty value.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace faxgate {

class TemplateError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

using TemplateValues = std::map<std::string, std::string>;

// Throws TemplateError naming the placeholder that has no value or is malformed.
std::string expandTemplate(std::string_view text, const TemplateValues& values);

// Reads `<directory>/<name>`; throws TemplateError if it cannot be read.
std::string loadTemplate(const std::string& directory, const std::string& name);

}  // namespace faxgate
