package org.oialr.peers;

/**
 * Settings of the peer methods (one record each) and the layer choice they share.
 *
 * @param keepHead  leave the model's last Linear/Conv2d (the classifier head) dense, as the references of DLRT
 *                  and SVD training do (default true); every other Linear and Conv2d (groups 1) is factored
 * @param svd       SVD training (Yang et al. 2020)
 * @param lorita    LoRITa (Zhang et al. 2024)
 * @param dlrt      DLRT (Schotthöfer et al. 2022)
 * @param twoFactor the plain W = A·B baseline
 */
public record PeerConfig(boolean keepHead, SvdTrainingConfig svd, LoritaConfig lorita, DlrtConfig dlrt, TwoFactorConfig twoFactor) {

    public PeerConfig {
        if (svd == null) svd = SvdTrainingConfig.defaults();
        if (lorita == null) lorita = LoritaConfig.defaults();
        if (dlrt == null) dlrt = DlrtConfig.defaults();
        if (twoFactor == null) twoFactor = TwoFactorConfig.defaults();
    }

    /** Every method at its documented defaults. */
    public static PeerConfig defaults() {
        return new PeerConfig(true, null, null, null, null);
    }

    public PeerConfig withSvd(SvdTrainingConfig c) {
        return new PeerConfig(keepHead, c, lorita, dlrt, twoFactor);
    }

    public PeerConfig withLorita(LoritaConfig c) {
        return new PeerConfig(keepHead, svd, c, dlrt, twoFactor);
    }

    public PeerConfig withDlrt(DlrtConfig c) {
        return new PeerConfig(keepHead, svd, lorita, c, twoFactor);
    }

    public PeerConfig withTwoFactor(TwoFactorConfig c) {
        return new PeerConfig(keepHead, svd, lorita, dlrt, c);
    }

    public PeerConfig withKeepHead(boolean v) {
        return new PeerConfig(v, svd, lorita, dlrt, twoFactor);
    }
}
