@_exported import SeqNet
