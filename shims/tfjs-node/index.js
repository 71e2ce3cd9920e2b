// danfojs-node requires '@tensorflow/tfjs-node'. The native package is optional (its install
// downloads libtensorflow), so hand it whichever TF.js is installed; one tfjs-core in the tree.
try {
  module.exports = require("tfjs-node-native");
} catch (e) {
  module.exports = require("@tensorflow/tfjs");
}
