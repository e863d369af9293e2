// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title MockSafe (local only, never deployed to production)
/// @notice Answers what `npm run deploy` asks an owner to prove it is a multisig: a Safe's
/// `getThreshold()` and `getOwners()`. Dry runs and tests put its code at the configured owner's
/// address on a throw-away chain (everything is immutable, so copied code answers the same), where
/// the owner's transactions are sent by impersonation.
contract MockSafe {
    address private immutable _ownerA;
    address private immutable _ownerB;
    uint256 private immutable _threshold;

    constructor(address ownerA_, address ownerB_, uint256 threshold_) {
        _ownerA = ownerA_;
        _ownerB = ownerB_;
        _threshold = threshold_;
    }

    function getThreshold() external view returns (uint256) {
        return _threshold;
    }

    function getOwners() external view returns (address[] memory owners) {
        owners = new address[](2);
        owners[0] = _ownerA;
        owners[1] = _ownerB;
    }
}
