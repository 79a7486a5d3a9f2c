// Hardhat 2's node (EDR) is Bulwark's second L1 client: it enforces EIP-7825's
// 2^24 gas cap per transaction, which anvil does not. Only its node is used;
// contracts are built by forge.
module.exports = {
  solidity: "0.8.30",
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: "osaka",
    },
  },
};
