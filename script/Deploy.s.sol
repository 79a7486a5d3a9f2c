// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Script, console2} from "forge-std/Script.sol";
import {VmSafe} from "forge-std/Vm.sol";

import {Rollup} from "../contracts/L1/Rollup.sol";
import {Bridge} from "../contracts/L1/Bridge.sol";
import {DemoToken} from "../contracts/mocks/DemoToken.sol";

/// @title Deploy
/// @notice Deploys Bulwark's L1 contracts: the Rollup first, naming the Bridge's predicted address (the
///         deployer's next nonce), then the Bridge, which checks that the Rollup names it. Both hold each
///         other as immutables.
/// @dev Defaults are mainnet-ish and live here, in one place. Environment overrides:
///      - `BULWARK_SEQUENCER` (address, default: the deployer)
///      - `BULWARK_WINDOW`    (seconds,  default: `DEFAULT_WINDOW`)
///      - `BULWARK_BOND`      (wei,      default: `DEFAULT_BOND`)
///      - `BULWARK_DEMO_TOKEN` (bool,    default: false) also deploys a mintable `DemoToken`
///      - `PRIVATE_KEY`       (uint, optional) broadcasts with this key instead of forge's `--sender`/wallet
///      Run: `npx forge script script/Deploy.s.sol --rpc-url $RPC --broadcast --private-key $KEY`.
contract Deploy is Script {
    /// @notice Default challenge window: 7 days, as optimistic rollups on mainnet use.
    uint64 public constant DEFAULT_WINDOW = 7 days;
    /// @notice Default commit bond: 1 ether, returned when the batch finalizes.
    uint256 public constant DEFAULT_BOND = 1 ether;

    /// @notice The deployed contracts.
    struct Deployment {
        Rollup rollup;
        Bridge bridge;
        DemoToken demoToken;
    }

    error BridgeAddressMismatch(address predicted, address deployed);

    /// @notice Entry point of `forge script`: reads the environment and deploys.
    function run() external returns (Deployment memory d) {
        uint256 key = vm.envOr("PRIVATE_KEY", uint256(0));
        if (key != 0) vm.startBroadcast(key);
        else vm.startBroadcast();
        (, address deployer,) = vm.readCallers();

        address sequencer = vm.envOr("BULWARK_SEQUENCER", deployer);
        uint64 window = uint64(vm.envOr("BULWARK_WINDOW", uint256(DEFAULT_WINDOW)));
        uint256 bond = vm.envOr("BULWARK_BOND", DEFAULT_BOND);
        bool demo = vm.envOr("BULWARK_DEMO_TOKEN", false);

        d = deploy(deployer, sequencer, window, bond);
        if (demo) d.demoToken = new DemoToken("Bulwark Demo", "DEMO");
        vm.stopBroadcast();

        console2.log("Rollup    ", address(d.rollup));
        console2.log("Bridge    ", address(d.bridge));
        console2.log("sequencer ", sequencer);
        console2.log("window (s)", window);
        console2.log("bond (wei)", bond);
        if (demo) console2.log("DemoToken ", address(d.demoToken));
    }

    /// @notice Deploys the Rollup then the Bridge from `deployer` (the current broadcaster or prank).
    function deploy(address deployer, address sequencer, uint64 window, uint256 bond)
        public
        returns (Deployment memory d)
    {
        address predicted = vm.computeCreateAddress(deployer, vm.getNonce(deployer) + 1);
        d.rollup = new Rollup(predicted, sequencer, window, bond);
        d.bridge = new Bridge(address(d.rollup));
        if (address(d.bridge) != predicted) revert BridgeAddressMismatch(predicted, address(d.bridge));
    }
}
