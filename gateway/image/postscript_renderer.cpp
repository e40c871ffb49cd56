// PostScript -> fax pages: Ghostscript converts to PDF in a subprocess, then renderPdf.
//
// Why a subprocess: PostScript is a programming language; running it in-process would let a
// hostile file loop forever or exhaust our memory. gs runs with -dSAFER (no file access
// outside its arguments), in its own temporary directory, and is killed after
// kPostScriptTimeLimitMs. Its messages are kept (the last kMaxGhostscriptMessageBytes) for
// the error reason.
//
// Diagnostics: "the PostScript could not be converted: <gs message>", "... took longer than
// N s", "Ghostscript (gs) is not installed", then whatever renderPdf reports.
#include <Poco/Exception.h>
#include <Poco/Pipe.h>
#include <Poco/Process.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "gateway/image/renderers.h"

namespace faxgate::gateway {
namespace {

constexpr int kPostScriptTimeLimitMs = 60 * 1000;
constexpr int kPollIntervalMs = 10;
constexpr size_t kMaxGhostscriptMessageBytes = 2000;
constexpr uintmax_t kMaxConvertedPdfBytes = 512ull << 20;

// A private temporary directory, removed with everything in it when the object goes.
class TemporaryDirectory {
  public:
    TemporaryDirectory() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "faxgate-ps-XXXXXX").string();
        if (!mkdtemp(pattern.data()))
            throw ImageError("cannot create a temporary directory for the PostScript conversion");
        path_ = pattern;
    }
    ~TemporaryDirectory() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TemporaryDirectory(const TemporaryDirectory&) = delete;
    TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

void writeFile(const std::filesystem::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush())
        throw ImageError("cannot write a temporary file for the PostScript conversion");
}

std::string readFile(const std::filesystem::path& path) {
    std::error_code error;
    const uintmax_t size = std::filesystem::file_size(path, error);
    if (error) throw ImageError("the PostScript could not be converted: Ghostscript wrote no PDF");
    if (size > kMaxConvertedPdfBytes)
        throw ImageError("the PostScript converts to a PDF that is too large");
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The last line of gs's output that says something, as the reason to give the sender.
std::string lastMessageLine(const std::string& output) {
    size_t end = output.find_last_not_of(" \r\n\t");
    if (end == std::string::npos) return "Ghostscript gave no reason";
    size_t begin = output.rfind('\n', end);
    begin = begin == std::string::npos ? 0 : begin + 1;
    return output.substr(begin, end - begin + 1);
}

// Runs gs to turn input.ps into output.pdf; throws ImageError on failure or time-out.
void convertWithGhostscript(const std::filesystem::path& input,
                            const std::filesystem::path& output) {
    Poco::Process::Args args = {"-q",
                                "-dSAFER",
                                "-dBATCH",
                                "-dNOPAUSE",
                                "-dNOINTERPOLATE",
                                "-dAutoRotatePages=/None",
                                "-sDEVICE=pdfwrite",
                                "-sOutputFile=" + output.string(),
                                "-f",
                                input.string()};
    Poco::Pipe messages;
    std::optional<Poco::ProcessHandle> process;
    try {
        process.emplace(Poco::Process::launch("gs", args, nullptr, &messages, &messages));
    } catch (const Poco::Exception& e) {
        throw ImageError("Ghostscript (gs) is not installed or cannot start: " + e.displayText());
    }

    // Drain gs's output while it runs so a chatty file cannot block it on a full pipe.
    std::string gsMessages;
    std::thread reader([&] {
        char buffer[4096];
        int n;
        while ((n = messages.readBytes(buffer, sizeof buffer)) > 0) {
            gsMessages.append(buffer, static_cast<size_t>(n));
            if (gsMessages.size() > 2 * kMaxGhostscriptMessageBytes)
                gsMessages.erase(0, gsMessages.size() - kMaxGhostscriptMessageBytes);
        }
    });

    int exitCode = -1;
    bool timedOut = false;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kPostScriptTimeLimitMs);
    while ((exitCode = Poco::Process::tryWait(*process)) == -1) {
        if (std::chrono::steady_clock::now() >= deadline) {
            timedOut = true;
            Poco::Process::kill(*process);
            exitCode = Poco::Process::wait(*process);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollIntervalMs));
    }
    reader.join();
    if (timedOut)
        throw ImageError("the PostScript took longer than " +
                         std::to_string(kPostScriptTimeLimitMs / 1000) + " s to convert");
    if (exitCode != 0)
        throw ImageError("the PostScript could not be converted: " + lastMessageLine(gsMessages));
}

}  // namespace

std::vector<FaxPage> renderPostScript(std::string_view ps, FaxResolution res, int maxPages) {
    if (sniffDocumentKind(ps) != DocumentKind::PostScript)
        throw ImageError("not a PostScript file (it does not start with %!)");
    TemporaryDirectory directory;
    const auto input = directory.path() / "input.ps";
    const auto output = directory.path() / "output.pdf";
    writeFile(input, ps);
    convertWithGhostscript(input, output);
    const std::string pdf = readFile(output);
    return renderPdf(pdf, res, maxPages);
}

}  // namespace faxgate::gateway
