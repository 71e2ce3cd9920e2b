import * as tf from "@tensorflow/tfjs";

/** The Keras-style serialised form of an initializer or regulariser. */
export type Serialized = { className: string; config: tf.serialization.ConfigDict };
/** A name ('glorotUniform', 'he_normal'), an instance, or its serialised form. */
export type InitializerLike = string | tf.serialization.Serializable | Serialized;

/** Resolve an initializer/regulariser given by name, instance or {className, config} via the TF.js registry. */
export function deserializeObject<T>(spec: InitializerLike, what: string): T {
  if (typeof spec === "object" && spec !== null && typeof (spec as tf.serialization.Serializable).getClassName === "function") {
    return spec as unknown as T;
  }
  let className: string;
  let config: tf.serialization.ConfigDict = {};
  if (typeof spec === "string") {
    const camel = spec.replace(/_+(\w)/g, (_, c: string) => c.toUpperCase());
    className = camel === "l1l2" ? "L1L2" : camel.charAt(0).toUpperCase() + camel.slice(1);
  } else {
    className = (spec as Serialized).className;
    config = (spec as Serialized).config ?? {};
  }
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) throw new Error(`Unknown ${what} '${className}': use a TF.js name such as 'glorotUniform', 'heNormal', 'zeros'.`);
  const [cls, fromConfig] = entry;
  return fromConfig(cls, config) as unknown as T;
}

/** {className, config} of an instance, as saved in a layer config (null stays null). */
export function serializeObject(obj: tf.serialization.Serializable | null): Serialized | null {
  return obj ? { className: obj.getClassName(), config: obj.getConfig() } : null;
}

/** The activation and the kernel/bias initialisers and regularisers a layer reads from its config. */
export interface LayerSettings {
  activationLayer: tf.layers.Layer;
  /** The activation's Keras name ('linear' when none was given). */
  activationName: string;
  kernelInitializer: tf.serialization.Serializable;
  biasInitializer: tf.serialization.Serializable;
  kernelRegularizer: tf.serialization.Serializable | null;
  biasRegularizer: tf.serialization.Serializable | null;
}

/**
 * A replacement layer's settings from its config, with Keras's defaults (linear, glorotUniform, zeros,
 * no regulariser); an unknown activation is an error naming `owner` ("LowRankDense 'fc1'").
 */
export function layerSettings(
  config: { activation?: string; kernelInitializer?: InitializerLike; biasInitializer?: InitializerLike; kernelRegularizer?: InitializerLike | null; biasRegularizer?: InitializerLike | null },
  owner: string,
): LayerSettings {
  let activationLayer: tf.layers.Layer;
  try {
    activationLayer = tf.layers.activation({ activation: (config.activation ?? "linear") as "linear" });
  } catch {
    throw new Error(`${owner}: unknown activation '${config.activation}' (use e.g. 'relu', 'linear', 'elu').`);
  }
  return {
    activationLayer,
    activationName: String(activationLayer.getConfig().activation),
    kernelInitializer: deserializeObject(config.kernelInitializer ?? "glorotUniform", "initializer"),
    biasInitializer: deserializeObject(config.biasInitializer ?? "zeros", "initializer"),
    kernelRegularizer: config.kernelRegularizer ? deserializeObject(config.kernelRegularizer, "regularizer") : null,
    biasRegularizer: config.biasRegularizer ? deserializeObject(config.biasRegularizer, "regularizer") : null,
  };
}
