// The IMAP4rev1 command syntax (RFC 3501 section 9, RFC 7888 LITERAL+): cutting the client's
// byte stream into commands, tokenising one command into tag, name and arguments (atoms,
// quoted strings, literals, parenthesised lists), and the argument grammars the session
// needs: sequence sets, FETCH attributes with body sections and partial ranges.
//
// Nothing here throws on client input: every failure is a value carrying a reason that the
// session sends back in a BAD response. Every input is bounded (line length, literal size,
// nesting depth, number of items).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faxgate::gateway {

// ---- Framing --------------------------------------------------------------------------

struct ImapReaderLimits {
    // Longest line of a command, literals not counted (RFC 7162 asks for at least 8192).
    size_t maxLineBytes = 65536;
    // Largest literal accepted; also bounds the total literal bytes of one command.
    size_t maxLiteralBytes = 1024 * 1024;
};

// Cuts a byte stream into complete commands. A command is one line plus the literals it
// announces ("{n}" / "{n+}" at the end of a line followed by n bytes and the rest of the
// command); the text handed out keeps the literals in place, without the final CRLF.
// Not thread-safe: one per connection.
class ImapCommandReader {
  public:
    enum class Status {
        NeedMore,         // no complete command buffered yet
        Command,          // `command` holds one command
        Continuation,     // a synchronising literal was announced: send "+ ..." now
        LineTooLong,      // a line exceeded maxLineBytes; it is being skipped
        LiteralTooLarge,  // a literal exceeded maxLiteralBytes; `command` holds the line so far
    };

    explicit ImapCommandReader(const ImapReaderLimits& limits);

    void append(std::string_view bytes);
    // Call until it returns NeedMore. After LiteralTooLarge, literalWasSynchronising() says
    // whether the client waits for permission (the command is dropped, nothing else
    // happens) or sends the bytes anyway (the session must close the connection).
    Status next(std::string& command);
    bool literalWasSynchronising() const { return lastLiteralSync_; }
    // Drops everything buffered (after STARTTLS, RFC 3501 6.2.1).
    void clear();
    size_t bufferedBytes() const { return buffer_.size(); }

  private:
    ImapReaderLimits limits_;
    std::string buffer_;
    size_t scanFrom_ = 0;          // start of the current, incomplete line in buffer_
    size_t literalRemaining_ = 0;  // literal bytes still to come before scanning goes on
    size_t literalTotal_ = 0;      // literal bytes of the current command so far
    bool skippingLine_ = false;    // after LineTooLong: dropping bytes up to the next LF
    bool lastLiteralSync_ = false;
};

// ---- Tokens ---------------------------------------------------------------------------

struct ImapValue {
    enum class Kind { Atom, String, List };
    Kind kind = Kind::Atom;
    std::string text;              // Atom and String
    std::vector<ImapValue> items;  // List

    bool isAtom() const { return kind == Kind::Atom; }
    bool isList() const { return kind == Kind::List; }
    // An astring (atom or string): `text` is its value.
    bool isAString() const { return kind != Kind::List; }
    bool isNil() const;
};

struct ImapCommand {
    std::string tag;
    std::string name;  // upper case: "FETCH", "UID", ...
    std::vector<ImapValue> args;
};

struct ImapParseLimits {
    size_t maxDepth = 16;     // nested parentheses
    size_t maxItems = 10000;  // values in the whole command
};

struct ImapParseResult {
    std::optional<ImapCommand> command;
    std::string tag;    // set whenever a tag could be read, also on errors
    std::string error;  // why the command is refused (empty when command is set)
};

// Parses one command as handed out by ImapCommandReader.
ImapParseResult parseImapCommand(std::string_view text, const ImapParseLimits& limits = {});

// Upper-cases ASCII letters only.
std::string imapUpper(std::string_view text);
bool imapEqualsIgnoreCase(std::string_view a, std::string_view b);

// ---- Sequence sets --------------------------------------------------------------------

// "1:*", "2,4:7", "*". Numbers are 1..2^32-1; '*' is kept as kStar and resolved against the
// largest number in use when matching.
struct ImapSequenceSet {
    static constexpr int64_t kStar = -1;
    std::vector<std::pair<int64_t, int64_t>> ranges;

    // True if `number` is in the set, '*' standing for `largest`.
    bool contains(int64_t number, int64_t largest) const;
};
std::optional<ImapSequenceSet> parseImapSequenceSet(std::string_view text);

// ---- FETCH attributes -----------------------------------------------------------------

struct ImapSection {
    enum class Text { Full, Header, HeaderFields, HeaderFieldsNot, Text, Mime };
    std::vector<int> part;  // 1.2 -> {1, 2}; empty = the whole message
    Text text = Text::Full;
    std::vector<std::string> fields;  // HEADER.FIELDS (...), upper case
    // As it appears in the response: "1.2.HEADER.FIELDS (SUBJECT FROM)".
    std::string label() const;
};

struct ImapFetchItem {
    enum class Kind {
        Flags,
        Uid,
        InternalDate,
        Rfc822Size,
        Envelope,
        BodyStructure,
        Body,
        BodySection,
        Rfc822,
        Rfc822Header,
        Rfc822Text
    };
    Kind kind = Kind::Flags;
    ImapSection section;                                   // BodySection
    bool peek = false;                                     // BODY.PEEK[...]
    std::optional<std::pair<uint32_t, uint32_t>> partial;  // <start.length>
};

// Parses the FETCH argument: an attribute, a parenthesised list of them, or ALL/FAST/FULL.
// On failure returns nothing and sets `error`.
std::optional<std::vector<ImapFetchItem>> parseImapFetchItems(const ImapValue& value,
                                                              std::string& error);

}  // namespace faxgate::gateway
