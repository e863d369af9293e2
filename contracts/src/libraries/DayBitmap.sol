// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title DayBitmap
/// @notice Marks which days (unix seconds / 1 day) hold expiring amounts, 256 days per storage
/// word, so catching up after days of inactivity reads one word per 256 days plus one slot per
/// marked day, never every day in between. Amounts that expire are counted until the end of
/// their day (see `dayOf`), which is conservative for capacity and exact for streaming.
library DayBitmap {
    uint256 internal constant DAY = 1 days;

    struct Bitmap {
        mapping(uint256 word => uint256 bits) words;
    }

    /// @dev The bucket of an end time: the first day boundary at or after it.
    function bucketOf(uint256 endTime) internal pure returns (uint256) {
        return (endTime + DAY - 1) / DAY;
    }

    /// @dev Days fully elapsed at `t`: every bucket at or below it has expired.
    function today(uint256 t) internal pure returns (uint256) {
        return t / DAY;
    }

    function mark(Bitmap storage b, uint256 day) internal {
        uint256 bit = 1 << (day & 0xff);
        uint256 bits = b.words[day >> 8];
        if (bits & bit == 0) b.words[day >> 8] = bits | bit;
    }

    /// @dev The first marked day in (afterDay, uptoDay], or 0 when there is none. Day 0 is
    /// 1970-01-01 and is never a bucket, so 0 is free to mean "none".
    function next(Bitmap storage b, uint256 afterDay, uint256 uptoDay) internal view returns (uint256) {
        uint256 day = afterDay + 1;
        while (day <= uptoDay) {
            uint256 bits = b.words[day >> 8] >> (day & 0xff);
            if (bits != 0) {
                uint256 found = day + _lowestBit(bits);
                return found <= uptoDay ? found : 0;
            }
            day = ((day >> 8) + 1) << 8;
        }
        return 0;
    }

    /// @dev Index of the lowest set bit of a non-zero word (binary search, no loop over bits).
    function _lowestBit(uint256 x) private pure returns (uint256 r) {
        // Each step halves the search width; shifts never exceed 255, so nothing can overflow.
        unchecked {
            if (x & type(uint128).max == 0) { r += 128; x >>= 128; }
            if (x & type(uint64).max == 0) { r += 64; x >>= 64; }
            if (x & type(uint32).max == 0) { r += 32; x >>= 32; }
            if (x & type(uint16).max == 0) { r += 16; x >>= 16; }
            if (x & type(uint8).max == 0) { r += 8; x >>= 8; }
            if (x & 0xf == 0) { r += 4; x >>= 4; }
            if (x & 0x3 == 0) { r += 2; x >>= 2; }
            if (x & 0x1 == 0) { r += 1; }
        }
    }
}
