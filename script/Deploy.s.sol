// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Script, console2} from "forge-std/Script.sol";
import {VmSafe} from "forge-std/Vm.sol";

import {Rollup} from "../contracts/L1/Rollup.sol";
import {IRollup} from "../contracts/interfaces/IRollup.sol";
import {Bridge} from "../contracts/L1/Bridge.sol";
import {OneStepVerifier} from "../contracts/dispute/OneStepVerifier.sol";
import {DisputeGame} from "../contracts/dispute/DisputeGame.sol";
import {DemoToken} from "../contracts/mocks/DemoToken.sol";

/// @title Deploy
/// @notice Deploys Bulwark's L1 contracts from one account, in nonce order: the Rollup, naming the Bridge's
///         and the DisputeGame's predicted addresses; the Bridge and the one-step verifier, naming the
///         Rollup; the DisputeGame, which checks that the Rollup names it and the verifier serves it.
/// @dev Defaults live here, in one place (PROTOCOL §0 and §14.6 say why). Environment overrides:
///      - `BULWARK_SEQUENCER`      (address, default: the deployer)
///      - `BULWARK_WINDOW`         (seconds, default: `DEFAULT_WINDOW`)
///      - `BULWARK_STAKE`          (wei,     default: `DEFAULT_STAKE`)
///      - `BULWARK_CHALLENGE_BOND` (wei,     default: `DEFAULT_CHALLENGE_BOND`)
///      - `BULWARK_CLOCK`          (seconds, default: `DEFAULT_CLOCK`)
///      - `BULWARK_GUARDIAN`       (address, default: the deployer; on a real network, a Safe multisig)
///      - `BULWARK_DEADLINE`       (seconds, default: `DEFAULT_DEADLINE`)
///      - `BULWARK_PAUSE`          (seconds, default: `DEFAULT_PAUSE`)
///      - `BULWARK_COOLDOWN`       (seconds, default: `DEFAULT_COOLDOWN`)
///      - `BULWARK_DEMO_TOKEN`     (bool,    default: false) also deploys a mintable `DemoToken`
///      - `PRIVATE_KEY`            (uint, optional) broadcasts with this key instead of forge's wallet
///      - `BULWARK_DEPLOYMENTS`    (directory, default: `deployments`) where `<chainId>.json` is written
///      Run: `npx forge script script/Deploy.s.sol --rpc-url $RPC --broadcast --account NAME`.
///      A broadcast writes the deployment file `bulwark deploy` writes (docs/OPERATORS.md); a dry run
///      writes nothing. When that file already names a Rollup with code on this chain, nothing is
///      deployed: the run logs the existing deployment and returns it.
contract Deploy is Script {
    /// @notice Default challenge window: 7 days, as optimistic rollups on mainnet use.
    uint64 public constant DEFAULT_WINDOW = 7 days;
    /// @notice Default chess clock per side: 3 days, so finality takes at most 13 days.
    uint64 public constant DEFAULT_CLOCK = 3 days;
    /// @notice Default sequencer stake (§14.6).
    uint256 public constant DEFAULT_STAKE = 0.2 ether;
    /// @notice Default challenge bond (§14.6).
    uint256 public constant DEFAULT_CHALLENGE_BOND = 0.05 ether;
    /// @notice Default forced-inclusion deadline: a day, as Arbitrum's delayed inbox (§16).
    uint64 public constant DEFAULT_DEADLINE = 1 days;
    /// @notice Default longest guardian pause: 8 hours, a third of the deadline (§17).
    uint64 public constant DEFAULT_PAUSE = 8 hours;
    /// @notice Default cooldown after a pause: a day, above `deadline - pause` = 16 hours (§17).
    uint64 public constant DEFAULT_COOLDOWN = 1 days;

    /// @notice The protocol parameters fixed at deployment.
    struct Params {
        address sequencer;
        uint64 window;
        uint256 stake;
        uint256 challengeBond;
        uint64 clock;
        address guardian;
        uint64 deadline;
        uint64 pause;
        uint64 cooldown;
    }

    /// @notice The deployed contracts.
    struct Deployment {
        Rollup rollup;
        Bridge bridge;
        OneStepVerifier verifier;
        DisputeGame dispute;
        DemoToken demoToken;
    }

    error PredictedAddressMismatch(string what, address predicted, address deployed);

    /// @notice Entry point of `forge script`: reads the environment and deploys.
    function run() external returns (Deployment memory d) {
        string memory file = string.concat(
            vm.envOr("BULWARK_DEPLOYMENTS", string("deployments")), "/", vm.toString(block.chainid), ".json"
        );
        if (vm.exists(file)) {
            address existing = vm.parseJsonAddress(vm.readFile(file), ".rollup");
            if (existing.code.length > 0) {
                console2.log("already deployed; nothing sent, nothing written:", file);
                console2.log("Rollup          ", existing);
                d.rollup = Rollup(existing);
                d.bridge = Bridge(vm.parseJsonAddress(vm.readFile(file), ".bridge"));
                d.verifier = OneStepVerifier(vm.parseJsonAddress(vm.readFile(file), ".verifier"));
                d.dispute = DisputeGame(vm.parseJsonAddress(vm.readFile(file), ".dispute"));
                return d;
            }
        }
        uint256 deployBlock = block.number;
        uint256 key = vm.envOr("PRIVATE_KEY", uint256(0));
        if (key != 0) vm.startBroadcast(key);
        else vm.startBroadcast();
        (, address deployer,) = vm.readCallers();

        Params memory p = Params({
            sequencer: vm.envOr("BULWARK_SEQUENCER", deployer),
            window: uint64(vm.envOr("BULWARK_WINDOW", uint256(DEFAULT_WINDOW))),
            stake: vm.envOr("BULWARK_STAKE", DEFAULT_STAKE),
            challengeBond: vm.envOr("BULWARK_CHALLENGE_BOND", DEFAULT_CHALLENGE_BOND),
            clock: uint64(vm.envOr("BULWARK_CLOCK", uint256(DEFAULT_CLOCK))),
            guardian: vm.envOr("BULWARK_GUARDIAN", deployer),
            deadline: uint64(vm.envOr("BULWARK_DEADLINE", uint256(DEFAULT_DEADLINE))),
            pause: uint64(vm.envOr("BULWARK_PAUSE", uint256(DEFAULT_PAUSE))),
            cooldown: uint64(vm.envOr("BULWARK_COOLDOWN", uint256(DEFAULT_COOLDOWN)))
        });
        bool demo = vm.envOr("BULWARK_DEMO_TOKEN", false);

        d = deploy(deployer, p);
        if (demo) d.demoToken = new DemoToken("Bulwark Demo Token", "BDT");
        vm.stopBroadcast();

        console2.log("Rollup          ", address(d.rollup));
        console2.log("Bridge          ", address(d.bridge));
        console2.log("OneStepVerifier ", address(d.verifier));
        console2.log("DisputeGame     ", address(d.dispute));
        console2.log("sequencer       ", p.sequencer);
        console2.log("window (s)      ", p.window);
        console2.log("stake (wei)     ", p.stake);
        console2.log("bond (wei)      ", p.challengeBond);
        console2.log("clock (s)       ", p.clock);
        console2.log("guardian        ", p.guardian);
        console2.log("deadline (s)    ", p.deadline);
        console2.log("pause (s)       ", p.pause);
        console2.log("cooldown (s)    ", p.cooldown);
        if (demo) console2.log("DemoToken       ", address(d.demoToken));

        if (vm.isContext(VmSafe.ForgeContext.ScriptBroadcast) || vm.isContext(VmSafe.ForgeContext.ScriptResume)) {
            vm.writeFile(file, deploymentJson(d, p, deployBlock));
            console2.log("wrote", file);
        }
    }

    /// @notice The deployment file's JSON, field for field as `bulwark deploy` writes it: wei as decimal
    ///         strings, seconds and blocks as numbers, addresses checksummed. `deployBlock` is the block the
    ///         script ran against, at or before the Rollup's own.
    function deploymentJson(Deployment memory d, Params memory p, uint256 deployBlock)
        public
        view
        returns (string memory)
    {
        string memory params = string.concat(
            '{\n    "sequencer": "',
            vm.toString(p.sequencer),
            '",\n    "guardian": "',
            vm.toString(p.guardian),
            '",\n    "window": ',
            vm.toString(p.window),
            ',\n    "clock": ',
            vm.toString(p.clock),
            ',\n    "deadline": ',
            vm.toString(p.deadline),
            ',\n    "pause": ',
            vm.toString(p.pause),
            ',\n    "cooldown": ',
            vm.toString(p.cooldown),
            ',\n    "stake": "',
            vm.toString(p.stake),
            '",\n    "challengeBond": "',
            vm.toString(p.challengeBond),
            '"\n  }'
        );
        string memory token = address(d.demoToken) == address(0)
            ? ""
            : string.concat('  "demoToken": "', vm.toString(address(d.demoToken)), '",\n');
        return string.concat(
            '{\n  "chainId": ',
            vm.toString(block.chainid),
            ',\n  "deployBlock": ',
            vm.toString(deployBlock),
            ',\n  "rollup": "',
            vm.toString(address(d.rollup)),
            '",\n  "bridge": "',
            vm.toString(address(d.bridge)),
            '",\n  "verifier": "',
            vm.toString(address(d.verifier)),
            '",\n  "dispute": "',
            vm.toString(address(d.dispute)),
            '",\n',
            token,
            '  "params": ',
            params,
            "\n}\n"
        );
    }

    /// @notice Deploys the four contracts from `deployer` (the current broadcaster or prank), nonce order.
    function deploy(address deployer, Params memory p) public returns (Deployment memory d) {
        uint64 nonce = vm.getNonce(deployer);
        address bridge = vm.computeCreateAddress(deployer, nonce + 1);
        address dispute = vm.computeCreateAddress(deployer, nonce + 3);
        d.rollup = new Rollup(
            IRollup.Config({
                bridge: bridge,
                dispute: dispute,
                sequencer: p.sequencer,
                guardian: p.guardian,
                window: p.window,
                stake: p.stake,
                challengeBond: p.challengeBond,
                deadline: p.deadline,
                pause: p.pause,
                cooldown: p.cooldown
            })
        );
        d.bridge = new Bridge(address(d.rollup));
        d.verifier = new OneStepVerifier(address(d.rollup));
        d.dispute = new DisputeGame(address(d.rollup), address(d.verifier), p.clock);
        if (address(d.bridge) != bridge) revert PredictedAddressMismatch("Bridge", bridge, address(d.bridge));
        if (address(d.dispute) != dispute) {
            revert PredictedAddressMismatch("DisputeGame", dispute, address(d.dispute));
        }
    }
}
