// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ICoverMarket} from "../interfaces/ICoverMarket.sol";
import {ICoverPool} from "../interfaces/ICoverPool.sol";
import {ERC4626Like} from "../interfaces/ERC4626Like.sol";
import {CoverBook} from "../libraries/CoverBook.sol";

/// @title MarketBase
/// @notice CoverMarket's state and what every part of it shares: roles, constants, the term grid,
/// the storage, the incident transition table. The market's parts, each an abstract contract over
/// this one, are MarketBuying, MarketIncidents, MarketSettlement and MarketAdmin; CoverMarket is
/// the one deployed contract that joins them (one contract: no call between parts costs gas).
abstract contract MarketBase is ICoverMarket, ERC721, AccessControl, EIP712 {
    /// @notice Signs quotes (the Worker's quote key).
    bytes32 public constant QUOTE_SIGNER_ROLE = keccak256("QUOTE_SIGNER_ROLE");
    /// @notice May veto incidents during their veto window (oracle malfunction only).
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice May pause new cover, market-wide or per product.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    bytes32 public constant QUOTE_TYPEHASH = keccak256(
        "Quote(uint256 productId,uint256 amount,uint256 premium,uint64 start,uint64 duration,address buyer,uint64 deadline,uint256 quoteId,bytes32 termsHash,address integrator,uint16 integratorFeeBps)"
    );

    /// @notice What a buyer signs to let a relayer submit their purchase (the premium moves by permit).
    bytes32 public constant ACCEPTANCE_TYPEHASH = keccak256("Acceptance(uint256 quoteId,address buyer,uint256 deadline)");

    uint8 public constant PAUSE_NEW_COVER = 1;
    uint64 public constant MIN_DURATION_SECONDS = 1 days;
    uint64 public constant MAX_DURATION_SECONDS = 365 days;
    /// @notice A quote may start cover at most this long after its purchase.
    uint256 public constant MAX_START_DELAY_SECONDS = 90 days;
    uint32 public constant MIN_COVERAGE_LAG_SECONDS = CoverBook.MIN_COVERAGE_LAG_SECONDS;
    uint32 public constant MAX_COVERAGE_LAG_SECONDS = CoverBook.MAX_COVERAGE_LAG_SECONDS;
    uint32 public constant MAX_VETO_WINDOW_SECONDS = CoverBook.MAX_VETO_WINDOW_SECONDS;
    uint16 public constant MAX_INTEGRATOR_FEE_BPS = 2_000;
    uint256 internal constant BPS = 10_000;
    /// @notice Quote ids (and so policy ids) are in [1, 2^48).
    uint256 public constant MAX_QUOTE_ID = 2 ** 48 - 1;
    /// @notice Incidents must be fired within this long of their onset.
    uint256 public constant MAX_INCIDENT_AGE_SECONDS = 30 days;
    /// @notice Confirmed incidents stay payable this long before their unpaid reserve returns.
    uint256 public constant SETTLEMENT_WINDOW_SECONDS = 90 days;
    /// @notice Bounds of `termGridSeconds`.
    uint256 public constant MIN_TERM_GRID_SECONDS = 60;
    uint256 public constant MAX_TERM_GRID_SECONDS = 1 days;
    /// @notice Policy terms start and end on multiples of this (1 hour in production deployments).
    /// On this grid the cover active at any moment is a sum over grid buckets, so an incident's
    /// liability is exact, not bounded; computing it reads one bucket per marked grid step between
    /// the incident time and the fire (at most MAX_INCIDENT_AGE_SECONDS / termGridSeconds + 1).
    uint256 public immutable termGridSeconds;

    IERC20 public immutable asset;
    ICoverPool public immutable pool;

    /// @dev Counters and pause flags: one slot, read and written by every purchase.
    struct Globals {
        uint8 pauseFlags;
        uint48 policies;
        uint48 highestPolicyId;
        uint48 products;
        uint48 incidents;
    }

    Globals internal _g;
    mapping(uint256 productId => CoverBook.ProductStore) internal _products;
    mapping(uint256 productId => bytes) internal _params;
    /// @dev Keyed by `_bookKey(product, generation)`: a reopened product starts an empty book.
    mapping(uint256 bookKey => CoverBook.Ledger) internal _ledgers;
    mapping(uint256 productId => uint256) internal _openIncident;
    mapping(uint256 policyId => Policy) internal _policies;
    mapping(uint256 word => uint256) internal _paidBits;
    mapping(uint256 incidentId => Incident) internal _incidents;
    mapping(address account => uint256) internal _claimable;
    mapping(address trigger => bool) internal _approvedTriggers;
    mapping(address integrator => uint16) internal _integratorFeeBps;
    mapping(uint256 productId => bool) internal _conditionFlagged;
    /// @dev The key each product's trigger registered its parameters under (`ITrigger.register`).
    mapping(uint256 productId => bytes32) internal _salesKey;
    /// @dev Until when a product cannot be flagged again after a guardian lifted its flag.
    mapping(uint256 productId => uint256) internal _flagExemptUntil;
    /// @notice How long a guardian's lifting of a flag holds against re-flagging.
    uint256 public constant FLAG_EXEMPTION_SECONDS = 7 days;


    /// @param pool_ the pool whose market this is (its `market` must be this contract)
    /// @param owner_ admin of every role (a multisig or timelock in production)
    /// @param termGridSeconds_ the term grid (a divisor of 1 day, 60 s … 1 day)
    constructor(ICoverPool pool_, address owner_, uint256 termGridSeconds_)
        ERC721("Tripwire Cover", "TWC")
        EIP712("Tripwire CoverMarket", "1")
    {
        if (termGridSeconds_ < MIN_TERM_GRID_SECONDS || termGridSeconds_ > MAX_TERM_GRID_SECONDS || 1 days % termGridSeconds_ != 0) {
            revert MarketTermGridInvalid(termGridSeconds_);
        }
        termGridSeconds = termGridSeconds_;
        pool = pool_;
        asset = IERC20(ERC4626Like(address(pool_)).asset());
        _grantRole(DEFAULT_ADMIN_ROLE, owner_);
    }

    /// @dev A product generation's book: a reopened product starts an empty one.
    function _bookKey(uint256 productId, uint256 generation) internal pure returns (uint256) {
        return productId | (generation << 32); // product ids are uint32
    }

    /// @dev The product, or MarketProductNotActive when it was never listed.
    function _existing(uint256 productId) internal view returns (CoverBook.ProductStore storage p) {
        p = _products[productId];
        if (p.status == ProductStatus.None) revert MarketProductNotActive(productId, ProductStatus.None);
    }

    /// @dev The one place incident transitions are validated (table in ICoverMarket).
    function _transition(uint256 incidentId, IncidentStatus from, IncidentStatus to) internal pure {
        bool ok = (from == IncidentStatus.Pending && (to == IncidentStatus.Confirmed || to == IncidentStatus.Vetoed))
            || (from == IncidentStatus.Confirmed && to == IncidentStatus.Closed);
        if (!ok) revert MarketIncidentTransitionInvalid(incidentId, from, to);
    }

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId) public view virtual override(ERC721, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
