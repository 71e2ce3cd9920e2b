// danfojs-node requires '@tensorflow/tfjs-node'. The native package is optional (its install
// downloads libtensorflow), so hand it whichever TF.js is installed; one tfjs-core in the tree.
// Same quiet, faster defaults as src/backend/init.ts: danfojs-node may load TensorFlow first.
process.env.TF_CPP_MIN_LOG_LEVEL = process.env.TF_CPP_MIN_LOG_LEVEL || "2";
process.env.TF_ENABLE_ONEDNN_OPTS = process.env.TF_ENABLE_ONEDNN_OPTS || "1";
try {
  module.exports = require("tfjs-node-native");
} catch (e) {
  module.exports = require("@tensorflow/tfjs");
}
