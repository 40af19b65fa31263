package io.kernelnet.backend.cuda;

/** Every kernel of the fatbin, by its extern "C" name (kernels/CONTRACT.md gives each signature). */
enum Kernel {
    FILL("kn_fill"),
    ADD("kn_add"),
    MUL("kn_mul"),
    ACTIVATION_FORWARD("kn_activation_forward"),
    ACTIVATION_BACKWARD("kn_activation_backward"),
    BIAS_ADD("kn_bias_add"),
    BIAS_GRAD("kn_bias_grad"),
    BIAS_ACTIVATION_FORWARD("kn_bias_activation_forward"),
    BIAS_ACTIVATION_BACKWARD("kn_bias_activation_backward"),
    SOFTMAX_FORWARD("kn_softmax_forward"),
    SOFTMAX_BACKWARD("kn_softmax_backward"),
    LOG_SOFTMAX_FORWARD("kn_log_softmax_forward"),
    LOG_SOFTMAX_BACKWARD("kn_log_softmax_backward"),
    SOFTMAX_AXIS_FORWARD("kn_softmax_axis_forward"),
    SOFTMAX_AXIS_BACKWARD("kn_softmax_axis_backward"),
    SOFTMAX_XENT_SPARSE("kn_softmax_xent_sparse"),
    SOFTMAX_XENT_DENSE("kn_softmax_xent_dense"),
    MSE("kn_mse"),
    REDUCE_SUM("kn_reduce_sum"),
    ARGMAX_ROWS("kn_argmax_rows"),
    ACCURACY("kn_accuracy"),
    FLAG_NONFINITE("kn_flag_nonfinite"),
    DROPOUT_FORWARD("kn_dropout_forward"),
    SGD("kn_sgd"),
    ADAM("kn_adam"),
    SET_STEP_INPUTS("kn_set_step_inputs"),
    SGEMM_64X64("kn_sgemm_64x64"),
    SGEMM_128X128("kn_sgemm_128x128"),
    SGEMM_TF32_128X128("kn_sgemm_tf32_128x128"),
    SGEMM_BIAS_ACT_128X128("kn_sgemm_bias_act_128x128"),
    SGEMM_BIAS_ACT_64X64("kn_sgemm_bias_act_64x64"),
    CONV2D_FORWARD("kn_conv2d_forward"),
    CONV2D_BACKWARD_DATA("kn_conv2d_backward_data"),
    CONV2D_BACKWARD_FILTER("kn_conv2d_backward_filter"),
    CONV2D_SUM_SPLITS("kn_conv2d_sum_splits"),
    MAXPOOL2D_FORWARD("kn_maxpool2d_forward"),
    MAXPOOL2D_BACKWARD("kn_maxpool2d_backward"),
    AVGPOOL2D_FORWARD("kn_avgpool2d_forward"),
    AVGPOOL2D_BACKWARD("kn_avgpool2d_backward");

    final String symbol;

    Kernel(String symbol) {
        this.symbol = symbol;
    }
}
