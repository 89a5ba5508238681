# Sourced by compare.sh and profile.sh: the configurations they run and the `bench train` /
# torch_reference.py flags of each.
CONFIGS="BiGRU-89 BiGRU-4097 BiLSTM-89 BiGRU-AE-89 BiGRU-AE-4097 GRU-89"

# BiGRU-AE-4097 → --cell gru --input-size 4097 --autoencoder (the same flags on both sides).
flags() {
    local name=$1 f=""
    case "$name" in Bi*) name=${name#Bi} ;; *) f="--unidirectional" ;; esac
    case "$name" in LSTM*) f="$f --cell lstm" ;; *) f="$f --cell gru" ;; esac
    case "$name" in *-AE-*) f="$f --autoencoder" ;; esac
    echo "$f --input-size ${name##*-}"
}
