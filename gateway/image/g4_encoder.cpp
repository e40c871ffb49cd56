// T.6 (G4) coder for fax pages (see g4_encoder.h).
//
// Why lists of changing elements: a text page is mostly white, so a row usually has a few
// dozen changes among 1728 pixels. Finding them a word at a time and coding from the lists
// makes the cost follow the ink, not the width (libtiff's coder scans bit runs byte by byte
// with its own finddiff, and goes through its strip machinery for every page).
#include "gateway/image/g4_encoder.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

namespace faxgate::gateway {
namespace {

struct Code {
    uint16_t bits;   // the code, right-aligned
    uint8_t length;  // in bits
};

// ITU-T T.4 Table 2: terminating codes, run lengths 0..63.
constexpr std::array<Code, 64> kWhiteTerminating = {{
    {0b00110101, 8}, {0b000111, 6},   {0b0111, 4},     {0b1000, 4},     {0b1011, 4},
    {0b1100, 4},     {0b1110, 4},     {0b1111, 4},     {0b10011, 5},    {0b10100, 5},
    {0b00111, 5},    {0b01000, 5},    {0b001000, 6},   {0b000011, 6},   {0b110100, 6},
    {0b110101, 6},   {0b101010, 6},   {0b101011, 6},   {0b0100111, 7},  {0b0001100, 7},
    {0b0001000, 7},  {0b0010111, 7},  {0b0000011, 7},  {0b0000100, 7},  {0b0101000, 7},
    {0b0101011, 7},  {0b0010011, 7},  {0b0100100, 7},  {0b0011000, 7},  {0b00000010, 8},
    {0b00000011, 8}, {0b00011010, 8}, {0b00011011, 8}, {0b00010010, 8}, {0b00010011, 8},
    {0b00010100, 8}, {0b00010101, 8}, {0b00010110, 8}, {0b00010111, 8}, {0b00101000, 8},
    {0b00101001, 8}, {0b00101010, 8}, {0b00101011, 8}, {0b00101100, 8}, {0b00101101, 8},
    {0b00000100, 8}, {0b00000101, 8}, {0b00001010, 8}, {0b00001011, 8}, {0b01010010, 8},
    {0b01010011, 8}, {0b01010100, 8}, {0b01010101, 8}, {0b00100100, 8}, {0b00100101, 8},
    {0b01011000, 8}, {0b01011001, 8}, {0b01011010, 8}, {0b01011011, 8}, {0b01001010, 8},
    {0b01001011, 8}, {0b00110010, 8}, {0b00110011, 8}, {0b00110100, 8},
}};

constexpr std::array<Code, 64> kBlackTerminating = {{
    {0b0000110111, 10},
    {0b010, 3},
    {0b11, 2},
    {0b10, 2},
    {0b011, 3},
    {0b0011, 4},
    {0b0010, 4},
    {0b00011, 5},
    {0b000101, 6},
    {0b000100, 6},
    {0b0000100, 7},
    {0b0000101, 7},
    {0b0000111, 7},
    {0b00000100, 8},
    {0b00000111, 8},
    {0b000011000, 9},
    {0b0000010111, 10},
    {0b0000011000, 10},
    {0b0000001000, 10},
    {0b00001100111, 11},
    {0b00001101000, 11},
    {0b00001101100, 11},
    {0b00000110111, 11},
    {0b00000101000, 11},
    {0b00000010111, 11},
    {0b00000011000, 11},
    {0b000011001010, 12},
    {0b000011001011, 12},
    {0b000011001100, 12},
    {0b000011001101, 12},
    {0b000001101000, 12},
    {0b000001101001, 12},
    {0b000001101010, 12},
    {0b000001101011, 12},
    {0b000011010010, 12},
    {0b000011010011, 12},
    {0b000011010100, 12},
    {0b000011010101, 12},
    {0b000011010110, 12},
    {0b000011010111, 12},
    {0b000001101100, 12},
    {0b000001101101, 12},
    {0b000011011010, 12},
    {0b000011011011, 12},
    {0b000001010100, 12},
    {0b000001010101, 12},
    {0b000001010110, 12},
    {0b000001010111, 12},
    {0b000001100100, 12},
    {0b000001100101, 12},
    {0b000001010010, 12},
    {0b000001010011, 12},
    {0b000000100100, 12},
    {0b000000110111, 12},
    {0b000000111000, 12},
    {0b000000100111, 12},
    {0b000000101000, 12},
    {0b000001011000, 12},
    {0b000001011001, 12},
    {0b000000101011, 12},
    {0b000000101100, 12},
    {0b000001011010, 12},
    {0b000001100110, 12},
    {0b000001100111, 12},
}};

// ITU-T T.4 Table 3: make-up codes; index i codes a run of 64 * i (1..27, i.e. up to 1728,
// the fax width, so no run needs the extended make-up codes above it). Index 0 is unused.
constexpr std::array<Code, 28> kWhiteMakeUp = {{
    {0, 0},           {0b11011, 5},     {0b10010, 5},     {0b010111, 6},    {0b0110111, 7},
    {0b00110110, 8},  {0b00110111, 8},  {0b01100100, 8},  {0b01100101, 8},  {0b01101000, 8},
    {0b01100111, 8},  {0b011001100, 9}, {0b011001101, 9}, {0b011010010, 9}, {0b011010011, 9},
    {0b011010100, 9}, {0b011010101, 9}, {0b011010110, 9}, {0b011010111, 9}, {0b011011000, 9},
    {0b011011001, 9}, {0b011011010, 9}, {0b011011011, 9}, {0b010011000, 9}, {0b010011001, 9},
    {0b010011010, 9}, {0b011000, 6},    {0b010011011, 9},
}};

constexpr std::array<Code, 28> kBlackMakeUp = {{
    {0, 0},
    {0b0000001111, 10},
    {0b000011001000, 12},
    {0b000011001001, 12},
    {0b000001011011, 12},
    {0b000000110011, 12},
    {0b000000110100, 12},
    {0b000000110101, 12},
    {0b0000001101100, 13},
    {0b0000001101101, 13},
    {0b0000001001010, 13},
    {0b0000001001011, 13},
    {0b0000001001100, 13},
    {0b0000001001101, 13},
    {0b0000001110010, 13},
    {0b0000001110011, 13},
    {0b0000001110100, 13},
    {0b0000001110101, 13},
    {0b0000001110110, 13},
    {0b0000001110111, 13},
    {0b0000001010010, 13},
    {0b0000001010011, 13},
    {0b0000001010100, 13},
    {0b0000001010101, 13},
    {0b0000001011010, 13},
    {0b0000001011011, 13},
    {0b0000001100100, 13},
    {0b0000001100101, 13},
}};

// ITU-T T.4 Table 4 (T.6 Table 1): the two-dimensional mode codes.
constexpr Code kPass = {0b0001, 4};
constexpr Code kHorizontal = {0b001, 3};
// Vertical modes indexed by a1 - b1 + 3: VL3, VL2, VL1, V0, VR1, VR2, VR3.
constexpr std::array<Code, 7> kVertical = {{
    {0b0000010, 7},
    {0b000010, 6},
    {0b010, 3},
    {0b1, 1},
    {0b011, 3},
    {0b000011, 6},
    {0b0000011, 7},
}};
constexpr Code kEol = {0b000000000001, 12};

// Upper bound on the code of one row: each coding step moves a0 right by at least one pixel
// and writes at most a horizontal mode with two runs (3 + 2 * (13 + 12) bits).
constexpr size_t kMaxRowCodeBytes = (kFaxPageWidthPx + 1) * 53 / 8 + 8;

// MSB-first bit writer into a byte string. The caller reserves room (ensureRoom) before a
// row, so put() never checks capacity.
class BitWriter {
  public:
    explicit BitWriter(std::string& out) : out_(out) {}

    void ensureRoom(size_t bytes) {
        if (out_.size() - used_ < bytes) out_.resize(std::max(out_.size() * 2, used_ + bytes));
    }

    void put(Code code) {
        // pending_ < 32 on entry and code.length <= 13, so nothing overflows 64 bits.
        accumulator_ = (accumulator_ << code.length) | code.bits;
        pending_ += code.length;
        if (pending_ >= 32) {
            pending_ -= 32;
            const auto word = static_cast<uint32_t>(accumulator_ >> pending_);
            char* p = out_.data() + used_;
            p[0] = static_cast<char>(word >> 24);
            p[1] = static_cast<char>(word >> 16);
            p[2] = static_cast<char>(word >> 8);
            p[3] = static_cast<char>(word);
            used_ += 4;
        }
    }

    // A run of `length` pixels of one colour: make-up code for the multiple of 64, then the
    // terminating code for the rest (always present, even for 0).
    void putRun(int length, bool black) {
        if (length >= 64) put((black ? kBlackMakeUp : kWhiteMakeUp)[length / 64]);
        put((black ? kBlackTerminating : kWhiteTerminating)[length % 64]);
    }

    // Pads with zero bits to a whole byte and trims the buffer to what was written.
    void finish() {
        while (pending_ >= 8) {
            pending_ -= 8;
            out_[used_++] = static_cast<char>(accumulator_ >> pending_);
        }
        if (pending_ > 0) out_[used_++] = static_cast<char>(accumulator_ << (8 - pending_));
        pending_ = 0;
        out_.resize(used_);
    }

  private:
    std::string& out_;
    size_t used_ = 0;
    uint64_t accumulator_ = 0;
    int pending_ = 0;  // bits in accumulator_ not yet written
};

constexpr int kWordsPerRow = kFaxRowBytes / 8;  // 27: 1728 is a multiple of 64
static_assert(kFaxRowBytes % 8 == 0);

// Fills `changes` with the positions of the row's changing elements (pixels whose colour
// differs from the pixel before; an imaginary white pixel precedes the row), followed by two
// sentinels at the row width. Entries at even indices turn black, at odd indices white.
// Returns the number of changes (without sentinels).
int findChanges(const uint8_t* row, int* changes) {
    int count = 0;
    uint64_t previousLastBit = 0;  // the imaginary white pixel
    for (int w = 0; w < kWordsPerRow; ++w) {
        uint64_t word;
        std::memcpy(&word, row + w * 8, 8);
        word = __builtin_bswap64(word);  // pixel 0 of the word in bit 63
        uint64_t edges = word ^ ((word >> 1) | (previousLastBit << 63));
        previousLastBit = word & 1;
        while (edges) {
            const int bit = __builtin_clzll(edges);
            changes[count++] = w * 64 + bit;
            edges &= ~(uint64_t{1} << (63 - bit));
        }
    }
    changes[count] = kFaxPageWidthPx;
    changes[count + 1] = kFaxPageWidthPx;
    return count;
}

// Codes one row against the reference row, both given as change lists from findChanges.
void encodeRow(const int* coding, const int* reference, BitWriter& writer) {
    constexpr int width = kFaxPageWidthPx;
    int a0 = -1;         // position of a0; -1 is the imaginary pixel before the row
    bool black = false;  // colour of a0
    int codingIndex = 0, referenceIndex = 0;
    while (a0 < width) {
        // a1: the first change on the coding row right of a0.
        while (coding[codingIndex] <= a0) ++codingIndex;
        const int a1 = coding[codingIndex];
        // b1: the first change on the reference row right of a0 whose new colour is the
        // opposite of a0's: changes at even indices turn black, so when a0 is white b1 has
        // an even index. The sentinels (width, width) end both searches. referenceIndex
        // only skips changes at or left of a0 (a0 never moves left); the one skipped for
        // its colour may be b1 of the next step, so that skip is local.
        while (reference[referenceIndex] <= a0) ++referenceIndex;
        int b1Index = referenceIndex;
        if (((b1Index & 1) != 0) != black && reference[b1Index] < width) ++b1Index;
        const int b1 = reference[b1Index];
        const int b2 = b1 < width ? reference[b1Index + 1] : width;

        if (b2 < a1) {
            writer.put(kPass);
            a0 = b2;
        } else if (a1 - b1 <= 3 && b1 - a1 <= 3) {
            writer.put(kVertical[a1 - b1 + 3]);
            a0 = a1;
            black = !black;
        } else {
            const int a2 = a1 < width ? coding[codingIndex + 1] : width;
            writer.put(kHorizontal);
            writer.putRun(a1 - (a0 < 0 ? 0 : a0), black);
            writer.putRun(a2 - a1, !black);
            a0 = a2;
        }
    }
}

}  // namespace

std::string encodeG4(const FaxPage& page) {
    if (page.heightPx <= 0 || page.bits.size() != static_cast<size_t>(page.heightPx) * kFaxRowBytes)
        throw ImageError("fax page is malformed: " + std::to_string(page.bits.size()) +
                         " bytes for " + std::to_string(page.heightPx) + " rows");

    // A row has at most width changes, plus two sentinels.
    std::vector<int> rowA(kFaxPageWidthPx + 2), rowB(kFaxPageWidthPx + 2);
    int* reference = rowA.data();
    int* coding = rowB.data();
    reference[0] = reference[1] = kFaxPageWidthPx;  // the imaginary white row

    std::string out;
    // Typical text pages code to 15-60 KB; start there and let ensureRoom grow it.
    out.resize(64 * 1024);
    BitWriter writer(out);
    for (int y = 0; y < page.heightPx; ++y) {
        findChanges(page.bits.data() + static_cast<size_t>(y) * kFaxRowBytes, coding);
        writer.ensureRoom(kMaxRowCodeBytes);
        encodeRow(coding, reference, writer);
        std::swap(coding, reference);
    }
    writer.ensureRoom(8);
    writer.put(kEol);  // EOFB
    writer.put(kEol);
    writer.finish();
    return out;
}

}  // namespace faxgate::gateway
