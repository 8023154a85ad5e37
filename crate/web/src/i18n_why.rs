//! The words of the "why" tools (logit lens, ablation, rollout, query/key map, neighbours)
//! in English and Simplified Chinese; `i18n::text` reads this table after its own.

/// (key, English, 简体中文).
pub(crate) const WHY_TEXTS: &[(&str, &str, &str)] = &[
    ("tab-lens", "Logit lens", "Logit 透镜"),
    ("h-lens", "What each layer would predict", "每一层会预测什么"),
    ("lead-lens", "The logit lens reads the model's running vector after every layer through its own final norm and output head, as if the model stopped there. Each cell is that layer's first guess for the next token, coloured by its probability; a dot marks a guess that is the token that really came next. Click a cell for its top 10.", "Logit 透镜把模型每一层之后的中间向量，送进模型自己的最终归一化和输出层，就好像模型在那一层停下。每个格子是该层对下一个词元的首选，颜色表示它的概率；圆点表示这个猜测正是实际出现的下一个词元。点击格子查看前 10 名。"),
    ("lens-title", "First guess for the next token, layer by layer (logit lens)", "逐层对下一个词元的首选（Logit 透镜）"),
    ("lens-computing", "Reading every layer through the output head…", "正在把每一层送入输出层……"),
    ("lens-embeddings", "embeddings", "嵌入"),
    ("lens-after", "after layer {n}", "第 {n} 层之后"),
    ("lens-output", "output (final)", "输出（最终）"),
    ("lens-layer", "read after", "读取位置"),
    ("lens-rank", "rank of the real next token", "实际下一个词元的排名"),
    ("lens-actual-prob", "its probability", "它的概率"),
    ("lens-entropy", "entropy (bits)", "熵（比特）"),
    ("lens-layers-caption", "Layer by layer at the selected position; the token that really came next:", "选中位置上逐层的读数；实际出现的下一个词元："),
    ("lens-layers-last", "Layer by layer at the selected position (the last: nothing came after it)", "选中位置上逐层的读数（最后一个位置：之后没有词元）"),
    ("lens-says", "After “{token}” the model finally says “{word}” ({prob}); its first guess is that from the row “{row}” on.", "在“{token}”之后，模型最终给出“{word}”（{prob}）；从“{row}”这一行起，首选就一直是它。"),
    ("lens-says-late", "After “{token}” the model finally says “{word}” ({prob}); only the final output guesses it first.", "在“{token}”之后，模型最终给出“{word}”（{prob}）；只有最终输出才把它排在首位。"),
    ("lens-next-top", "The token that really came next, “{next}”, first tops a row at “{row}”.", "实际出现的下一个词元“{next}”，最早在“{row}”这一行成为首选。"),
    ("lens-next-never", "The token that really came next, “{next}”, tops no row.", "实际出现的下一个词元“{next}”，在任何一行都不是首选。"),
    ("lens-canvas", "The logit lens: the first guess for the next token after every layer at every position", "Logit 透镜：每一层、每个位置对下一个词元的首选"),
    ("rollout-title", "attention rollout: what its vector draws on after each layer", "注意力展开（rollout）：每层之后它的向量取自哪些词元"),
    ("rollout-after", "After the last layer,", "经过最后一层，"),
    ("rollout-draws", "draws most on (attention rollout, itself included: the residual path keeps half of each step):", "最多取自（注意力展开，含它自己：残差通路在每一步保留一半）："),
    ("h-rollout", "Attention rollout", "注意力展开（rollout）"),
    ("lead-rollout", "Rollout (Abnar & Zuidema 2020) follows attention down through every layer: each layer's attention averaged over the heads, plus the residual path as half of each step, multiplied from the first layer up. Row l says how much the selected token's vector after layer l draws on each input token.", "注意力展开（Abnar 与 Zuidema，2020）沿着每一层追溯注意力：每层对所有头取平均，再把残差通路算作每一步的一半，从第一层起逐层相乘。第 l 行表示选中词元在第 l 层之后的向量取自各输入词元的比例。"),
    ("rollout-canvas", "Attention rollout of the selected token, layer by layer", "选中词元逐层的注意力展开"),
];
