"""Foreign circuit files: Bristol Fashion import and export, BLIF, structural
Verilog, GraphML and DOT export, and the lowering of MAJ gates to 2-input
AND/XOR netlists those formats share. (The native ``.tc0`` file is
``tc0.ir.native``.)"""
